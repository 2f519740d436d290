// `pubky indexer verify`: recomputes a sample of users from their homeservers and compares with the
// index. Drift means a bug (or writes the index has not reached yet: users that drift are checked a
// second time after a pause before they are reported).
import { validateAppRecord, type Pubky } from '@pubky-ts/client';
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

const ROOT = '/pub/pubky.app/';
/** Valid records the index checks but keeps no rows for. */
const NOT_STORED = /^\/pub\/pubky\.app\/(blobs\/|feeds\/|last_read$)/;

async function homeserverView(pubky: Pubky, user: string, signal?: AbortSignal): Promise<{ paths: Set<string>; posts: Map<string, string> }> {
  const paths = new Set<string>();
  const posts = new Map<string, string>();
  const prefix = `pubky://${user}`;
  let urls: string[] = [];
  try {
    for await (const url of pubky.publicStorage.listAll(`${prefix}${ROOT}`, { limit: 1000, signal })) urls.push(url);
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
    urls = [];
  }
  for (const url of urls) {
    const path = url.slice(prefix.length);
    if (path.endsWith('/') || NOT_STORED.test(path)) continue;
    let bytes: Uint8Array;
    try {
      bytes = await pubky.publicStorage.getBytes(url, { signal });
    } catch (e) {
      if ((e as { status?: number }).status === 404) continue;
      throw e;
    }
    const v = await validateAppRecord(path, bytes);
    if (!v.ok) continue;
    paths.add(path);
    if (v.record.kind === 'post') posts.set(v.record.id, v.record.value.content);
  }
  return { paths, posts };
}

async function driftOf(reader: IndexReader, pubky: Pubky, user: string, signal?: AbortSignal): Promise<{ drift: UserDrift | null; records: number }> {
  const hs = await homeserverView(pubky, user, signal);
  const indexed = reader.pathsOf(user);
  const missing = [...hs.paths].filter((p) => !indexed.has(p));
  const extra = [...indexed].filter((p) => !hs.paths.has(p));
  const stale = [...hs.posts].filter(([id, content]) => {
    const row = reader.post(user, id);
    return row !== null && row.content !== content;
  }).map(([id]) => `${ROOT}posts/${id}`);
  const drift = missing.length + extra.length + stale.length > 0 ? { user, missing, extra, stale } : null;
  return { drift, records: hs.paths.size };
}

export async function verifyIndex(reader: IndexReader, pubky: Pubky, options: { sample?: number; users?: string[]; recheckAfterMs?: number; signal?: AbortSignal } = {}): Promise<VerifyReport> {
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
