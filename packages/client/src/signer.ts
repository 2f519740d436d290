// The user's side: a key pair that signs up, signs in, and approves apps' auth requests.
import { AuthToken, type Capabilities, Keypair, PublicKey, utf8Encode, type MirrorStatus } from '@pubky-ts/common';
import { channelUrl, encryptPayload, sendToChannel } from './channel.ts';
import { sendScopeKeys } from './crypto/scope-key-channel.ts';
import { parseDeepLink, type AuthDeepLink } from './deep-link.ts';
import { PubkyHttpError } from './errors.ts';
import { createGrant, createPop, decodeJws, SIGNUP_CLIENT_ID, type CreateGrantOptions } from './grant.ts';
import { httpError } from './http.ts';
import { STALE_AFTER_MS } from './pkdns.ts';
import { migrateAccount, type MigrateOptions, type MigrationReport } from './migrate/migrate.ts';
import type { AccountSigner, PubkyInternals } from './internals.ts';
import { addMirror, mirrorStatus, removeMirror, type AddMirrorOptions, type MirrorSetup } from './mirror-admin.ts';
import type { Session } from './session.ts';

const ROOT_CAPS = '/:rw';

export interface SigninOptions {
  signal?: AbortSignal;
  /**
   * Wait for the `_pubky` republish (done when the record is older than 1 h) before returning.
   * Default false: it runs in the background and its failure is reported to `onRepublishError`.
   */
  awaitRepublish?: boolean;
  onRepublishError?: (e: unknown) => void;
}

export class Signer {
  constructor(
    private readonly pubky: PubkyInternals,
    readonly keypair: Keypair,
  ) {}

  get publicKey(): PublicKey {
    return this.keypair.publicKey;
  }

  /**
   * Creates an account on `homeserver` (`POST /signup` with a root AuthToken), then publishes the
   * user's `_pubky` record pointing there. Returns the new cookie session. With `publish: false` the
   * record is left as it is (an account on a homeserver the user is moving to, or a mirror), and this
   * client keeps resolving the user to the homeserver their record names.
   */
  async signup(
    homeserver: PublicKey | string,
    signupToken?: string | null,
    options: { signal?: AbortSignal; publish?: boolean } = {},
  ): Promise<Session> {
    const hs = typeof homeserver === 'string' ? PublicKey.parse(homeserver) : homeserver;
    const token = AuthToken.sign(this.keypair, ROOT_CAPS);
    const query = signupToken ? `?signup_token=${encodeURIComponent(signupToken)}` : '';
    const res = await this.pubky.http.request({
      method: 'POST',
      homeserver: hs,
      path: `/signup${query}`,
      headers: { 'content-type': 'application/octet-stream' },
      body: token.serialize() as BodyInit,
      signal: options.signal,
    });
    if (!res.ok) throw await httpError(res, 'POST');
    const publish = options.publish ?? true;
    const session = await this.pubky.cookieSession(this.publicKey, hs, res, { remember: publish });
    if (publish) await this.pubky.pkdns.publishHomeserver(this.keypair, hs, { signal: options.signal });
    return session;
  }

  /**
   * Signs in on the homeserver the user's `_pubky` record names (`POST /session`, root capabilities),
   * republishing the record when it is older than an hour.
   */
  async signin(options: SigninOptions = {}): Promise<Session> {
    return this.signinWith(ROOT_CAPS, options);
  }

  private async signinWith(caps: string, options: SigninOptions): Promise<Session> {
    const hs = await this.pubky.pkdns.requireHomeserverOf(this.publicKey, options.signal);
    const session = await this.pubky.sessionFromAuthToken(AuthToken.sign(this.keypair, caps), hs, options.signal);
    const republish = this.pubky.pkdns.publishHomeserver(this.keypair, hs, { ifOlderThanMs: STALE_AFTER_MS, signal: options.signal });
    if (options.awaitRepublish) await republish;
    else republish.catch((e) => options.onRepublishError?.(e));
    return session;
  }

  /**
   * A root session on a given homeserver, whatever the user's `_pubky` record says (no republish, and
   * this client's idea of the user's homeserver is unchanged): for the homeserver they move to, or a
   * mirror.
   */
  signinAt(homeserver: PublicKey | string, options: { signal?: AbortSignal } = {}): Promise<Session> {
    const hs = typeof homeserver === 'string' ? PublicKey.parse(homeserver) : homeserver;
    return this.pubky.sessionFromAuthToken(AuthToken.sign(this.keypair, ROOT_CAPS), hs, options.signal, { remember: false });
  }

  /**
   * Moves the account to another homeserver: copies `/pub/` and `/priv/` there (each file checked by
   * its BLAKE3 hash), compares both trees, then switches the `_pubky` record. Rerun it after an
   * interruption: it continues where it stopped. See `migrate/migrate.ts`.
   */
  migrate(options: MigrateOptions): Promise<MigrationReport> {
    return migrateAccount(this.pubky, this, options);
  }

  /**
   * Authorises `mirror` (another homeserver) to keep a verified copy of this user's tree and lists it
   * in the user's PKARR packet after the primary, so readers fall back to it. See `mirror.ts`.
   */
  addMirror(mirror: PublicKey | string, options: AddMirrorOptions = {}): Promise<MirrorSetup> {
    return addMirror(this.pubky, this, mirror, options);
  }

  /** Takes `mirror` out of the user's packet and tells it to stop following (`stopFollowing: false` keeps it following). */
  removeMirror(
    mirror: PublicKey | string,
    options: { session?: Session; stopFollowing?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    return removeMirror(this.pubky, this, mirror, options);
  }

  /** The mirror's `GET /mirror` status (signs in there unless `session` is given); null when it does not follow this user. */
  mirrorStatus(mirror: PublicKey | string, options: { session?: Session; signal?: AbortSignal } = {}): Promise<MirrorStatus | null> {
    return mirrorStatus(this.pubky, this, mirror, options);
  }

  /**
   * A root session on `homeserver` whatever the record says: signs in there, or, when the homeserver
   * does not know the user (404), creates the account without publishing. For a migration target or
   * a mirror; rerunning either finds the account an earlier run created.
   */
  async sessionAt(homeserver: PublicKey | string, options: { signupToken?: string | null; signal?: AbortSignal } = {}): Promise<Session> {
    try {
      return await this.signinAt(homeserver, { signal: options.signal });
    } catch (e) {
      if (!(e instanceof PubkyHttpError && e.status === 404)) throw e;
    }
    return this.signup(homeserver, options.signupToken ?? null, { signal: options.signal, publish: false });
  }

  /** Publishes (or refreshes) the user's `_pubky` record. Answers whether a packet was published. */
  publishHomeserver(homeserver: PublicKey, options: { ifOlderThanMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    return this.pubky.pkdns.publishHomeserver(this.keypair, homeserver, options);
  }

  /** Signs a grant delegating `capabilities` to an app's client key (homeserver §3.6). */
  createGrant(options: CreateGrantOptions): string {
    return createGrant(this.keypair, options);
  }

  /**
   * A grant session for this process: makes a client key, grants it `capabilities`, and exchanges
   * the grant for a bearer at the user's homeserver.
   */
  async signinWithGrant(options: {
    clientId: string;
    capabilities?: Capabilities | string | string[];
    signal?: AbortSignal;
  }): Promise<Session> {
    const client = Keypair.random();
    const grant = this.createGrant({
      clientId: options.clientId,
      clientKey: client.publicKey,
      capabilities: options.capabilities ?? ROOT_CAPS,
    });
    return this.pubky.sessionFromGrant(grant, client, options.signal);
  }

  /**
   * Creates the account with a signup grant (`POST /auth/grant/signup`, newest homeservers) and
   * publishes `_pubky`. No session is issued; sign in afterwards.
   */
  async signupWithGrant(
    homeserver: PublicKey | string,
    signupToken?: string | null,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const hs = typeof homeserver === 'string' ? PublicKey.parse(homeserver) : homeserver;
    const client = Keypair.random();
    const grant = createGrant(this.keypair, {
      clientId: SIGNUP_CLIENT_ID,
      clientKey: client.publicKey,
      capabilities: ROOT_CAPS,
      lifetimeSeconds: 300,
    });
    const jti = decodeJws<{ jti: string }>(grant).claims.jti;
    const pop = createPop(client, hs, jti);
    const query = signupToken ? `?signup_token=${encodeURIComponent(signupToken)}` : '';
    const res = await this.pubky.http.request({
      method: 'POST',
      homeserver: hs,
      owner: this.publicKey,
      path: `/auth/grant/signup${query}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant, pop }),
      anonymous: true,
      signal: options.signal,
    });
    if (!res.ok) throw await httpError(res, 'POST');
    await res.body?.cancel().catch(() => {});
    await this.pubky.pkdns.publishHomeserver(this.keypair, hs, { signal: options.signal });
  }

  /**
   * Approves an app's `pubkyauth://` request: signs what it asks for (an AuthToken, or a grant for
   * its client key), encrypts it with the link's secret and posts it to the relay channel. For
   * signup intents the account is created first (an existing account is fine).
   */
  async approveAuthRequest(link: string | AuthDeepLink, options: { signal?: AbortSignal } = {}): Promise<void> {
    const req = typeof link === 'string' ? parseDeepLink(link) : link;
    if (req.intent === 'direct_signup') {
      await this.signupTolerant(req.homeserver, req.signupToken, options.signal);
      return;
    }
    if (req.intent === 'signup' || req.intent === 'signup_grant') {
      await this.signupTolerant(req.homeserver, req.signupToken, options.signal);
    }
    let payload: Uint8Array;
    if (req.intent === 'signin' || req.intent === 'signup') {
      payload = AuthToken.sign(this.keypair, req.capabilities).serialize();
    } else {
      payload = utf8Encode(this.createGrant({ clientId: req.clientId, clientKey: req.clientKey, capabilities: req.capabilities }));
    }
    const url = await channelUrl(req.relay, req.secret);
    const send = { fetch: this.pubky.http.fetchFn, signal: options.signal };
    // Side by side: on a legacy /link relay each send waits for its reader.
    await Promise.all([
      sendToChannel(url, encryptPayload(payload, req.secret), send),
      req.ageKeys ? sendScopeKeys(req.relay, req.secret, this.keypair, req.capabilities, send) : undefined,
    ]);
  }

  private async signupTolerant(homeserver: PublicKey, signupToken: string | undefined, signal?: AbortSignal): Promise<void> {
    try {
      await this.signup(homeserver, signupToken, { signal });
    } catch (e) {
      if (e instanceof PubkyHttpError && e.status === 409) {
        // Already registered there: make sure the record points at it.
        await this.pubky.pkdns.publishHomeserver(this.keypair, homeserver, { ifOlderThanMs: STALE_AFTER_MS, signal });
        return;
      }
      throw e;
    }
  }
}
