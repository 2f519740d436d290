// App passwords: a grant (homeserver §3.6) whose client secret becomes an HTTP Basic password, so
// tools that only speak WebDAV (rclone, davfs2, Finder, Explorer) mount the user's storage at
// `<homeserver>/dav/` with their own scoped, revocable credential instead of the user's key.
import { base64urlEncode, createGrant, Keypair, type Capabilities } from '@pubky-ts/common';
import { decodeJws } from './grant.ts';
import type { Pubky } from './pubky.ts';

export interface AppPassword {
  /** The Basic user name: the user's public key (z32). */
  username: string;
  /** The Basic password: `<grant id>.<client secret>`; shown once, stored nowhere by the SDK. */
  password: string;
  /** The grant behind it: listed by `session.listGrants()`-style calls, revoked to end the password. */
  grantId: string;
  /** Unix seconds. */
  expiresAt: number;
  /** Where to mount, e.g. `https://homeserver.example/dav/`. */
  davUrl: string;
}

export interface AppPasswordOptions {
  capabilities: Capabilities | string | string[];
  /** Shown in the grant list; default `pubky.dav`. */
  clientId?: string;
  /** Default one year. */
  lifetimeSeconds?: number;
  signal?: AbortSignal;
}

/** Creates a grant for a fresh client key at `user`'s homeserver and returns it as an app password. */
export async function createAppPassword(pubky: Pubky, user: Keypair, options: AppPasswordOptions): Promise<AppPassword> {
  const client = Keypair.random();
  const grant = createGrant(user, {
    clientId: options.clientId ?? 'pubky.dav',
    clientKey: client.publicKey,
    capabilities: options.capabilities,
    lifetimeSeconds: options.lifetimeSeconds ?? 365 * 24 * 3600,
  });
  const { jti, exp } = decodeJws<{ jti: string; exp: number }>(grant).claims;
  // Exchanging the grant once stores it on the homeserver (where the password is checked against it).
  const session = await pubky.sessionFromGrant(grant, client, options.signal);
  const { origin } = await pubky.http.endpoint(session.homeserver, options.signal);
  return {
    username: user.publicKey.z32,
    password: `${jti}.${base64urlEncode(client.secretKey)}`,
    grantId: jti,
    expiresAt: exp,
    davUrl: `${origin}/dav/`,
  };
}

/** A grant as the homeserver lists it (`GET /auth/grant/sessions`). */
export interface GrantListing {
  grantId: string;
  clientId: string;
  capabilities: string;
  expiresAt: number;
}

/** The user's active grants (app passwords among them); needs a root session of `user` in `pubky`. */
export async function listGrants(pubky: Pubky, user: Keypair, signal?: AbortSignal): Promise<GrantListing[]> {
  const res = await pubky.http.requestOk({ method: 'GET', owner: user.publicKey, path: '/auth/grant/sessions', signal });
  const rows = (await res.json()) as { grant_id: string; client_id: string; capabilities: string; expires_at: number }[];
  return rows.map((r) => ({ grantId: r.grant_id, clientId: r.client_id, capabilities: r.capabilities, expiresAt: r.expires_at }));
}

/** Revokes a grant (an app password stops working at its next request); needs a root session of `user`. */
export async function revokeGrant(pubky: Pubky, user: Keypair, grantId: string, signal?: AbortSignal): Promise<void> {
  const res = await pubky.http.requestOk({
    method: 'DELETE',
    owner: user.publicKey,
    path: `/auth/grant/session/${encodeURIComponent(grantId)}`,
    signal,
  });
  await res.body?.cancel();
}
