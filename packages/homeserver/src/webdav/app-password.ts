import { createHash } from 'node:crypto';
import { base64urlDecode, Capabilities, Keypair, PublicKey } from '@pubky-ts/common';
import type { GrantRecord, GrantStore } from '../storage/types.ts';

/**
 * App passwords: a user's WebDAV credential is a grant (spec §3.6) like any app's — created by the
 * user (`pubky dav-password --caps /pub/:rw`), listed with their grants, revoked like them — used as
 * HTTP Basic: user name = the user's key (z32), password = `<grant id>.<client secret>`, the grant's
 * id and the base64url secret of the client key the grant delegates to (`cnf`). The server checks
 * that the grant is the user's, not revoked, not expired, and that the secret is that client key's.
 * Revoking the grant ends the password at the next request.
 */

export interface AppPasswordUser {
  user: string;
  grant: GrantRecord;
  capabilities: Capabilities;
}

/** The password for a grant to `client`. */
export function formatAppPassword(grantId: string, client: Keypair): string {
  return `${grantId}.${Buffer.from(client.secretKey).toString('base64url')}`;
}

/** sha256(password) → the client key it derives (Ed25519 derivation is the costly step); bounded. */
const derived = new Map<string, string>();
const MAX_DERIVED = 1000;

function clientKeyOf(secret: string): string | null {
  const id = createHash('sha256').update(secret).digest('base64');
  let z32 = derived.get(id);
  if (z32 === undefined) {
    let bytes: Uint8Array;
    try {
      bytes = base64urlDecode(secret);
    } catch {
      return null;
    }
    if (bytes.length !== 32) return null;
    z32 = Keypair.fromSecretKey(bytes).publicKey.z32;
    if (derived.size >= MAX_DERIVED) derived.clear();
    derived.set(id, z32);
  }
  return z32;
}

/** The user an `Authorization: Basic` header authenticates with an app password, or null. */
export async function verifyAppPassword(
  grants: Pick<GrantStore, 'get'>,
  authorization: string | undefined,
  nowSeconds: number,
): Promise<AppPasswordUser | null> {
  const basic = /^Basic ([A-Za-z0-9+/=]{1,512})$/.exec(authorization ?? '');
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const name = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const dot = password.lastIndexOf('.');
  if (dot <= 0 || dot > 22) return null;
  const user = PublicKey.tryParse(name)?.z32;
  if (!user || user !== name) return null;
  const grant = await grants.get(password.slice(0, dot));
  if (!grant || grant.user !== user || grant.revokedAt !== null || grant.expiresAt <= nowSeconds) return null;
  if (clientKeyOf(password.slice(dot + 1)) !== grant.clientCnfKey) return null;
  try {
    return { user, grant, capabilities: Capabilities.parse(grant.capabilities) };
  } catch {
    return null;
  }
}
