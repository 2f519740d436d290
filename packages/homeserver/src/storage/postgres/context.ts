import type { PoolClient } from 'pg';
import type { PgDatabase } from '../../db/postgres/database.ts';
import type { LocalBus } from '../bus.ts';
import type { Revocation, StoredEvent } from '../types.ts';
import type { BlobBackend } from './blobs.ts';
import type { OrderedFeed } from './ordered-feed.ts';

/** NOTIFY channels (spec §9). */
export const EVENTS_CHANNEL = 'events';
export const REVOCATIONS_CHANNEL = 'auth_revocations';

/** What the PostgreSQL-backed stores share (plain constructor injection, built by `openPostgresStore`). */
export interface PgContext {
  db: PgDatabase;
  blobs: BlobBackend;
  eventBus: LocalBus<StoredEvent>;
  revocations: LocalBus<Revocation>;
  /** Delivers committed events / revocations on the local buses in id order. */
  eventFeed: OrderedFeed<StoredEvent>;
  revocationFeed: OrderedFeed<Revocation>;
  inlineThreshold: number;
  defaultQuotaMb: number | null;
  /**
   * Advisory lock keys: writers take the events lock shared (the read watermark settles gaps by taking it
   * exclusive); revocation inserts take theirs exclusive (ids visible in order).
   */
  eventLockKey: string;
  revocationLockKey: number;
}

/** The row shape of `users`. */
export interface PgUserRow {
  id: number;
  public_key: string;
  disabled: boolean;
  used_bytes: number;
  created_at: number;
  quota_storage_mb: number | null;
  quota_rate_read: string | null;
  quota_rate_write: string | null;
  quota_rate_read_burst: number | null;
  quota_rate_write_burst: number | null;
  allowed_write_paths: string | null;
}

/**
 * Appends revocations inside the caller's transaction (under the revocation lock, so their ids become
 * visible in order) and sends the reference's `auth_revocations` NOTIFY with its JSON payload, which
 * PostgreSQL delivers at COMMIT. Returns the highest id (0 if none).
 */
export async function appendRevocations(client: PoolClient, ctx: PgContext, list: Revocation[]): Promise<number> {
  if (list.length === 0) return 0;
  await client.query('SELECT pg_advisory_xact_lock($1)', [ctx.revocationLockKey]);
  const now = Date.now() * 1000;
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO revocations (kind, ref, created_at)
     SELECT k, r, $3 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(k, r, n) ORDER BY n RETURNING id`,
    [list.map((r) => r.kind), list.map((r) => String(r.id)), now],
  );
  for (const r of list) await client.query('SELECT pg_notify($1, $2)', [REVOCATIONS_CHANNEL, JSON.stringify(r)]);
  return Math.max(...rows.map((r) => r.id));
}

export function revocationFromRow(kind: string, ref: string): Revocation {
  return kind === 'cookie_session' ? { kind, id: Number(ref) } : { kind: 'grant', id: ref };
}
