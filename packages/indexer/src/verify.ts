// `pubky indexer verify`: recomputes a sample of users from the homeservers the index took them
// from and compares. Drift means a bug (or writes the index has not reached yet: users that drift
// are checked a second time after a pause before they are reported).
import type { Pubky } from '@pubky-ts/client';
import { resyncChanges } from './follow/resync.ts';
import type { IndexReader } from './store/index-reader.ts';

export interface UserDrift {
  user: string;
  /** Valid records on the homeserver the index lacks. */
  missing: string[];
  /** Rows in the index for files the homeserver does not hold (or holds invalid). */
  extra: string[];
  /** Posts whose indexed content differs from the homeserver's. */
  stale: string[];
}

export interface VerifyReport {
  checkedUsers: number;
  checkedRecords: number;
  drift: UserDrift[];
  /** Users whose homeserver could not be read (not counted as drift). */
  unreachable: Array<{ user: string; error: string }>;
}

/** Valid records the index checks but keeps no rows for. */
const NOT_STORED = new Set(['blob', 'feed', 'last_read']);

async function driftOf(
  reader: IndexReader,
  pubky: Pubky,
  user: string,
  signal?: AbortSignal,
): Promise<{ drift: UserDrift | null; records: number }> {
  const home = reader.user(user)?.homeserver;
  if (!home) throw new Error(`the index has no homeserver for ${user}`);
  const indexed = reader.pathsOf(user);
  // What a re-read from the home would change is exactly the drift.
  const changes = await resyncChanges(pubky, home, user, indexed, { timeoutMs: 10_000, signal });
  const drift: UserDrift = { user, missing: [], extra: [], stale: [] };
  let records = 0;
  for (const c of changes) {
    if (c.op === 'del' || (c.op === 'invalid' && indexed.has(c.path))) drift.extra.push(c.path);
    if (c.op !== 'put' || NOT_STORED.has(c.record.kind)) continue;
    records++;
    if (!indexed.has(c.path)) drift.missing.push(c.path);
    else if (c.record.kind === 'post' && reader.post(user, c.record.id)?.content !== c.record.value.content) drift.stale.push(c.path);
  }
  return { drift: drift.missing.length + drift.extra.length + drift.stale.length > 0 ? drift : null, records };
}

export async function verifyIndex(
  reader: IndexReader,
  pubky: Pubky,
  options: { sample?: number; users?: string[]; recheckAfterMs?: number; signal?: AbortSignal } = {},
): Promise<VerifyReport> {
  const users = options.users ?? reader.sampleUsers(options.sample ?? 50);
  const report: VerifyReport = { checkedUsers: 0, checkedRecords: 0, drift: [], unreachable: [] };
  const suspects: string[] = [];
  for (const user of users) {
    try {
      const r = await driftOf(reader, pubky, user, options.signal);
      report.checkedUsers++;
      report.checkedRecords += r.records;
      if (r.drift) suspects.push(user);
    } catch (e) {
      report.unreachable.push({ user, error: (e as Error).message.slice(0, 300) });
    }
  }
  if (suspects.length > 0) await new Promise((r) => setTimeout(r, options.recheckAfterMs ?? 2000));
  for (const user of suspects) {
    try {
      const r = await driftOf(reader, pubky, user, options.signal);
      if (r.drift) report.drift.push(r.drift);
    } catch (e) {
      report.unreachable.push({ user, error: (e as Error).message.slice(0, 300) });
    }
  }
  return report;
}
