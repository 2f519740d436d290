// The app side of the pubkyauth flow (spec pkarr-dht-relay §7): show a deep link, wait on the relay
// channel for the authenticator's encrypted answer, turn it into a session. The state is plain JSON
// so a page reload can resume the wait (field notes §5.1 D).
import {
  AuthToken,
  base64urlDecode,
  base64urlEncode,
  bytesToHex,
  Capabilities,
  hexToBytes,
  Keypair,
  PublicKey,
  utf8Decode,
} from '@pubky-ts/common';
import { channelUrl, decryptPayload, generateSecret, receiveFromChannel } from './channel.ts';
import { receiveScopeKeys } from './crypto/scope-key-channel.ts';
import type { Keyring } from './crypto/keyring.ts';
import { DEFAULT_HTTP_RELAY, formatDeepLink, type AuthDeepLink, type DeepLinkCallbacks } from './deep-link.ts';
import { AuthFlowError, isAbortError } from './errors.ts';
import { verifyGrant } from './grant.ts';
import type { Session } from './session.ts';

export type AuthFlowKind = 'signin' | 'signup' | 'signin_grant' | 'signup_grant';

export interface AuthFlowOptions {
  /** Relay channel base, default `https://httprelay.pubky.app/inbox` (testnet: `http://localhost:15412/inbox`). */
  relay?: string;
  /** `signin` (default): cookie session from an AuthToken. `*_grant`: a grant for a client key of this app. */
  kind?: AuthFlowKind;
  /** For signup kinds: the homeserver to sign up at, and an optional signup token. */
  homeserver?: PublicKey | string;
  signupToken?: string;
  /** For grant kinds: the app's id (domain-like, ≤ 253 chars). */
  clientId?: string;
  callbacks?: DeepLinkCallbacks;
  /** Ask the authenticator for the granted scopes' encryption keys too (see `awaitKeyring`). */
  ageKeys?: boolean;
}

/** Everything needed to resume a flow; contains the channel secret (and the client key for grants). */
export interface AuthFlowState {
  v: 1;
  kind: AuthFlowKind;
  capabilities: string;
  relay: string;
  secret: string;
  homeserver?: string;
  signupToken?: string;
  clientId?: string;
  clientSecret?: string;
  callbacks?: DeepLinkCallbacks;
  ageKeys?: boolean;
  createdAt: number;
}

/** What the flow needs from the Pubky client (kept narrow to avoid an import cycle). */
export interface AuthFlowHost {
  readonly fetchFn: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  sessionFromAuthToken(token: AuthToken, homeserver?: PublicKey, signal?: AbortSignal): Promise<Session>;
  sessionFromGrant(grant: string, client: Keypair, signal?: AbortSignal): Promise<Session>;
}

export class AuthFlow {
  readonly kind: AuthFlowKind;
  readonly capabilities: string;
  readonly relay: string;
  /** The `pubkyauth://` link to show as a QR code or open on the user's authenticator. */
  readonly authorizationUrl: string;
  private readonly secret: Uint8Array;
  private readonly clientKeypair?: Keypair;
  private readonly state: AuthFlowState;
  private readonly abort = new AbortController();
  private waiting: Promise<Session> | null = null;

  private constructor(
    private readonly host: AuthFlowHost,
    state: AuthFlowState,
  ) {
    this.state = state;
    this.kind = state.kind;
    this.capabilities = state.capabilities;
    this.relay = state.relay;
    this.secret = base64urlDecode(state.secret);
    if (this.secret.length !== 32) throw new AuthFlowError('invalid_auth_flow_state', 'the flow secret must be 32 bytes');
    if (state.clientSecret) this.clientKeypair = Keypair.fromSecretKey(hexToBytes(state.clientSecret));
    this.authorizationUrl = formatDeepLink(this.deepLink());
  }

  static start(host: AuthFlowHost, capabilities: Capabilities | string | string[], options: AuthFlowOptions = {}): AuthFlow {
    const kind = options.kind ?? (options.homeserver ? 'signup' : 'signin');
    const caps = Capabilities.from(capabilities as Capabilities | string | string[]).toString();
    const state: AuthFlowState = {
      v: 1,
      kind,
      capabilities: caps,
      relay: options.relay ?? DEFAULT_HTTP_RELAY,
      secret: base64urlEncode(generateSecret()),
      createdAt: Date.now(),
    };
    if (kind === 'signup' || kind === 'signup_grant') {
      if (!options.homeserver) throw new AuthFlowError('invalid_auth_flow_state', `a ${kind} flow needs the homeserver to sign up at`);
      state.homeserver = typeof options.homeserver === 'string' ? PublicKey.parse(options.homeserver).z32 : options.homeserver.z32;
      if (options.signupToken) state.signupToken = options.signupToken;
    }
    if (kind === 'signin_grant' || kind === 'signup_grant') {
      if (!options.clientId) throw new AuthFlowError('invalid_auth_flow_state', `a ${kind} flow needs the app's clientId`);
      state.clientId = options.clientId;
      state.clientSecret = bytesToHex(Keypair.random().secretKey);
    }
    if (options.callbacks) state.callbacks = options.callbacks;
    if (options.ageKeys) state.ageKeys = true;
    return new AuthFlow(host, state);
  }

  /** Rebuilds a flow from `toJSON()` output (an object or its JSON text). */
  static resume(host: AuthFlowHost, state: AuthFlowState | string): AuthFlow {
    let s: AuthFlowState;
    try {
      s = typeof state === 'string' ? (JSON.parse(state) as AuthFlowState) : state;
    } catch {
      throw new AuthFlowError('invalid_auth_flow_state', 'the saved auth flow is not JSON');
    }
    if (typeof s !== 'object' || s === null || s.v !== 1)
      throw new AuthFlowError('invalid_auth_flow_state', 'unknown auth flow state version');
    const kinds: AuthFlowKind[] = ['signin', 'signup', 'signin_grant', 'signup_grant'];
    if (!kinds.includes(s.kind) || typeof s.capabilities !== 'string' || typeof s.relay !== 'string' || typeof s.secret !== 'string') {
      throw new AuthFlowError('invalid_auth_flow_state', 'the saved auth flow lacks kind, capabilities, relay or secret');
    }
    try {
      return new AuthFlow(host, { ...s });
    } catch (e) {
      if (e instanceof AuthFlowError) throw e;
      throw new AuthFlowError('invalid_auth_flow_state', `the saved auth flow is invalid: ${(e as Error).message}`, { cause: e });
    }
  }

  private deepLink(): AuthDeepLink {
    const s = this.state;
    const base = {
      capabilities: s.capabilities,
      relay: s.relay,
      secret: this.secret,
      ...(s.callbacks ? { callbacks: s.callbacks } : {}),
      ...(s.ageKeys ? { ageKeys: true } : {}),
    };
    const signup = () => ({ homeserver: PublicKey.parseZ32(s.homeserver ?? ''), ...(s.signupToken ? { signupToken: s.signupToken } : {}) });
    const grant = () => {
      if (!s.clientId || !this.clientKeypair)
        throw new AuthFlowError('invalid_auth_flow_state', 'a grant flow needs clientId and clientSecret');
      return { clientId: s.clientId, clientKey: this.clientKeypair.publicKey };
    };
    switch (s.kind) {
      case 'signin':
        return { intent: 'signin', ...base };
      case 'signup':
        return { intent: 'signup', ...base, ...signup() };
      case 'signin_grant':
        return { intent: 'signin_grant', ...base, ...grant() };
      default:
        return { intent: 'signup_grant', ...base, ...signup(), ...grant() };
    }
  }

  /** The state to persist (e.g. in sessionStorage) for `resumeAuthFlow`. Holds secrets. */
  toJSON(): AuthFlowState {
    return { ...this.state };
  }

  /** The relay channel this flow listens on. */
  channelUrl(): Promise<string> {
    return channelUrl(this.relay, this.secret);
  }

  /**
   * Waits for the authenticator's answer and returns the session. Called twice, it returns the same
   * promise. Rejects with AuthFlowError `auth_flow_aborted` after `cancel()` or when `signal` fires.
   */
  awaitSession(options: { signal?: AbortSignal } = {}): Promise<Session> {
    if (!this.waiting) this.waiting = this.run(options.signal);
    return this.waiting;
  }

  /** Alias of awaitSession, the name of SDK 0.6.0. */
  awaitApproval(options: { signal?: AbortSignal } = {}): Promise<Session> {
    return this.awaitSession(options);
  }

  /**
   * For a flow started with `ageKeys`: waits for the session, then for the scope keys the
   * authenticator sent alongside it, and returns them as a Keyring for `EncryptedStorage`.
   */
  async awaitKeyring(options: { signal?: AbortSignal } = {}): Promise<Keyring> {
    if (!this.state.ageKeys)
      throw new AuthFlowError('invalid_auth_flow_state', 'this flow did not ask for encryption keys: start it with { ageKeys: true }');
    const session = await this.awaitSession(options);
    const signal = options.signal ? AbortSignal.any([options.signal, this.abort.signal]) : this.abort.signal;
    return receiveScopeKeys(this.relay, this.secret, session.publicKey, { fetch: this.host.fetchFn, signal });
  }

  /** Stops waiting. */
  cancel(reason = 'cancelled'): void {
    this.abort.abort(new Error(reason));
  }

  private async run(outer?: AbortSignal): Promise<Session> {
    const signal = outer ? AbortSignal.any([outer, this.abort.signal]) : this.abort.signal;
    const url = await this.channelUrl();
    const box = await receiveFromChannel(url, { fetch: this.host.fetchFn, signal });
    const payload = decryptPayload(box, this.secret);
    try {
      if (this.kind === 'signin' || this.kind === 'signup') {
        let token: AuthToken;
        try {
          token = AuthToken.parse(payload);
        } catch (e) {
          throw new AuthFlowError('auth_flow_bad_payload', `the authenticator sent no valid AuthToken: ${(e as Error).message}`, {
            cause: e,
          });
        }
        const homeserver = this.state.homeserver ? PublicKey.parseZ32(this.state.homeserver) : undefined;
        return await this.host.sessionFromAuthToken(token, homeserver, signal);
      }
      let jws: string;
      try {
        jws = utf8Decode(payload);
        verifyGrant(jws, { expectedClientKey: this.clientKeypair!.publicKey });
      } catch (e) {
        throw new AuthFlowError('auth_flow_bad_payload', `the authenticator sent no valid grant: ${(e as Error).message}`, { cause: e });
      }
      return await this.host.sessionFromGrant(jws, this.clientKeypair!, signal);
    } catch (e) {
      if (signal.aborted && isAbortError(e)) throw new AuthFlowError('auth_flow_aborted', 'the auth flow was aborted', { cause: e });
      throw e;
    }
  }
}
