import { createHash } from 'node:crypto';
import type { GrantRecord } from './types.ts';

/** A `grants` row joined with its user's key, as both SQL profiles select it (`GRANT_COLUMNS`). */
export interface GrantRow {
  id: string;
  public_key: string;
  client_id: string;
  client_cnf_key: string;
  capabilities: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
  created_at: number;
}

export const GRANT_COLUMNS = `g.id, u.public_key, g.client_id, g.client_cnf_key, g.capabilities, g.issued_at,
  g.expires_at, g.revoked_at, g.created_at`;

export function grantFromRow(r: GrantRow): GrantRecord {
  return {
    id: r.id,
    user: r.public_key,
    clientId: r.client_id,
    clientCnfKey: r.client_cnf_key,
    capabilities: r.capabilities,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    createdAt: r.created_at,
  };
}

/** Only SHA-256 of a bearer token (its ASCII text) is stored (spec §3.6.3 step 7). */
export function bearerHash(token: string): Buffer {
  return createHash('sha256').update(token, 'latin1').digest();
}
