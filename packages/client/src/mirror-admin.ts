// Mirror administration, the user's side: a second homeserver keeps a verified copy of the user's
// tree. The user's PKARR packet lists it as a further `_pubky` record after the primary (readers
// fall back to it: `read-fallback.ts`). Writes go to the primary only.
import { type Keypair, MIRROR_CLIENT_ID, parseMirrorStatus, PublicKey, type MirrorStatus } from '@pubky-ts/common';
import { homeserverOf, mirrorsOf, PUBKY_RECORD_TTL, withMirrors, type SignedPacket } from '@pubky-ts/pkarr';
import { ClientError, PkarrResolutionError, PubkyHttpError } from './errors.ts';
import { createGrant } from './grant.ts';
import { httpError, type HomeserverRequest } from './http.ts';
import type { AccountSigner, PubkyInternals } from './internals.ts';
import { readTextLimited } from './read-limited.ts';
import type { Session } from './session.ts';

export interface AddMirrorOptions {
  /** A signup token of the mirror homeserver, for a user who has no account there yet. */
  signupToken?: string | null;
  /** Mirror `/priv/` too (a read grant for the mirror's key goes with the request). Default true. */
  private?: boolean;
  /** Lifetime of that grant. Default: the SDK's grant default (2 years). */
  lifetimeSeconds?: number;
  signal?: AbortSignal;
}

export interface MirrorSetup {
  mirror: PublicKey;
  /** The user's root session on the mirror homeserver (for `mirrorStatus`, `removeMirror`). */
  session: Session;
  /** The mirror's answer to `PUT /mirror`. */
  status: MirrorStatus;
}

const ROOT_CAPS = '/:rw';
const STATUS_MAX_BYTES = 64 * 1024;

function key(k: PublicKey | string): PublicKey {
  return typeof k === 'string' ? PublicKey.parse(k) : k;
}

async function readStatus(res: Response): Promise<MirrorStatus> {
  return parseMirrorStatus(
    await readTextLimited(res, STATUS_MAX_BYTES, () => new ClientError('invalid_response', 'the mirror status is larger than 64 KiB')),
  );
}

// ---- managing mirrors (the user's side) ----

async function currentPacket(pubky: PubkyInternals, user: PublicKey, signal?: AbortSignal): Promise<SignedPacket | null> {
  try {
    return await pubky.pkdns.source.resolve(user, { fresh: true, signal });
  } catch (e) {
    throw new PkarrResolutionError(
      'pkarr_unavailable',
      user.z32,
      `could not read the current packet of ${user.z32}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

function primaryOf(packet: SignedPacket | null, user: PublicKey): PublicKey {
  const primary = packet ? homeserverOf(packet) : null;
  if (!primary) {
    throw new PkarrResolutionError(
      'homeserver_not_found',
      user.z32,
      `the PKARR packet of ${user.z32} names no primary homeserver; sign up somewhere before adding a mirror`,
    );
  }
  return primary;
}

/** Reads the newest packet, edits its mirror list and publishes it (keeping the primary and all other records). */
async function publishMirrorList(
  pubky: PubkyInternals,
  keypair: Keypair,
  edit: (mirrors: PublicKey[]) => PublicKey[],
  signal?: AbortSignal,
): Promise<PublicKey[]> {
  const user = keypair.publicKey;
  const current = await currentPacket(pubky, user, signal);
  primaryOf(current, user);
  const mirrors = edit(mirrorsOf(current!));
  const packet = withMirrors(keypair, mirrors, current, { ttl: PUBKY_RECORD_TTL });
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await pubky.pkdns.source.publish(packet, { signal });
      pubky.pkdns.rememberMirrors(user, mirrorsOf(packet));
      return mirrorsOf(packet);
    } catch (e) {
      lastError = e;
      if (signal?.aborted) break;
    }
  }
  throw new PkarrResolutionError(
    'publish_failed',
    user.z32,
    `could not publish the mirror records of ${user.z32}: ${(lastError as Error).message}`,
    { cause: lastError },
  );
}

/** A root session on the mirror without touching `_pubky`: sign in, or sign up when there is no account. */
function mirrorRequest(
  session: Session,
  mirror: PublicKey,
  bearer: string | undefined,
): Pick<HomeserverRequest, 'homeserver' | 'owner' | 'path' | 'bearer'> {
  return { homeserver: mirror, owner: session.publicKey, path: '/mirror', ...(bearer ? { bearer } : {}) };
}

/**
 * Authorises `mirror` to keep a copy of the user's tree (contract: SDK side): a session there (sign
 * in, or sign up without publishing), a read grant for the mirror's key (unless `private: false`),
 * `PUT /mirror`, then the mirror record is added to the user's packet (after the existing mirrors).
 */
export async function addMirror(
  pubky: PubkyInternals,
  signer: AccountSigner,
  mirrorKey: PublicKey | string,
  options: AddMirrorOptions = {},
): Promise<MirrorSetup> {
  const mirror = key(mirrorKey);
  const user = signer.publicKey;
  const primary = primaryOf(await currentPacket(pubky, user, options.signal), user);
  if (primary.equals(mirror))
    throw new ClientError('invalid_argument', `${mirror.z32} is the user's primary homeserver; a mirror is another one`);
  const session = await signer.sessionAt(mirror, { signupToken: options.signupToken, signal: options.signal });
  const body: { primary: string; grant?: string } = { primary: primary.z32 };
  if (options.private ?? true) {
    body.grant = createGrant(signer.keypair, {
      clientId: MIRROR_CLIENT_ID,
      clientKey: mirror,
      capabilities: '/:r',
      lifetimeSeconds: options.lifetimeSeconds,
    });
  }
  const res = await pubky.http.request({
    ...mirrorRequest(session, mirror, await session.credential.bearer(options.signal)),
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: options.signal,
  });
  if (!res.ok) throw await httpError(res, 'PUT');
  const status = await readStatus(res);
  await publishMirrorList(pubky, signer.keypair, (list) => (list.some((m) => m.equals(mirror)) ? list : [...list, mirror]), options.signal);
  return { mirror, session, status };
}

/**
 * Takes `mirror` out of the user's packet (readers stop using it), then tells the mirror to stop
 * following (`DELETE /mirror`; the copy it holds stays the user's data there). With
 * `stopFollowing: false` only the record is removed. A mirror that was not following is fine.
 */
export async function removeMirror(
  pubky: PubkyInternals,
  signer: AccountSigner,
  mirrorKey: PublicKey | string,
  options: { session?: Session; stopFollowing?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const mirror = key(mirrorKey);
  await publishMirrorList(pubky, signer.keypair, (list) => list.filter((m) => !m.equals(mirror)), options.signal);
  if (options.stopFollowing === false) return;
  const session = options.session ?? (await signer.signinAt(mirror, { signal: options.signal }));
  const res = await pubky.http.request({
    ...mirrorRequest(session, mirror, await session.credential.bearer(options.signal)),
    method: 'DELETE',
    signal: options.signal,
  });
  if (!res.ok && res.status !== 404) throw await httpError(res, 'DELETE');
  await res.body?.cancel().catch(() => {});
}

/**
 * How far the mirror's copy is (`GET /mirror` on the mirror), with a root session of the user there
 * (`options.session`, or a new sign-in). Null when the mirror does not follow this user.
 */
export async function mirrorStatus(
  pubky: PubkyInternals,
  signer: AccountSigner,
  mirrorKey: PublicKey | string,
  options: { session?: Session; signal?: AbortSignal } = {},
): Promise<MirrorStatus | null> {
  const mirror = key(mirrorKey);
  const session = options.session ?? (await signer.signinAt(mirror, { signal: options.signal }));
  if (!session.homeserver.equals(mirror))
    throw new ClientError('invalid_argument', `the session is on ${session.homeserver.z32}, not on the mirror ${mirror.z32}`);
  const res = await pubky.http.request({
    ...mirrorRequest(session, mirror, await session.credential.bearer(options.signal)),
    method: 'GET',
    signal: options.signal,
  });
  if (res.status === 404) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.ok) throw await httpError(res, 'GET');
  return readStatus(res);
}
