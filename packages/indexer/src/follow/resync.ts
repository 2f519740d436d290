// Re-reads one user's whole pubky.app tree from a homeserver. Used when a user turns out to live on
// another homeserver than the index thought (a migration): the new home's copy events arrived while
// the user's record still named the old one and were skipped, so the index takes the user's state
// from the new home in one go (every valid file upserted, every row without a file dropped).
import type { Pubky } from '@pubky-ts/client';
import { validateAppRecord } from '@pubky-ts/client';
import type { Change } from '../store/changes.ts';
import { fetchRecord, SourceError } from './fetch-record.ts';

const ROOT = '/pub/pubky.app/';
/** A tree bigger than this is not re-read in one transaction (its events keep flowing instead). */
export const MAX_RESYNC_FILES = 20_000;

export async function resyncChanges(
  pubky: Pubky,
  homeserver: string,
  user: string,
  indexedPaths: Set<string>,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Change[]> {
  const urls: string[] = [];
  try {
    for await (const url of pubky.publicStorage.listAll(`pubky://${user}${ROOT}`, { limit: 1000, signal: options.signal })) {
      urls.push(url);
      if (urls.length > MAX_RESYNC_FILES)
        throw new SourceError(`${user} has more than ${MAX_RESYNC_FILES} pubky.app files: not re-read at once`);
    }
  } catch (e) {
    if ((e as { status?: number }).status !== 404)
      throw e instanceof SourceError ? e : new SourceError(`listing ${user}: ${(e as Error).message}`, { cause: e });
  }
  const prefix = `pubky://${user}`;
  const changes: Change[] = [];
  const present = new Set<string>();
  for (const url of urls) {
    const path = url.slice(prefix.length);
    if (path.endsWith('/')) continue;
    present.add(path);
    const fetched = await fetchRecord(pubky, homeserver, user, path, options);
    if (fetched.kind === 'gone') {
      present.delete(path);
      continue;
    }
    const v = fetched.kind === 'refused' ? { ok: false as const, reason: fetched.reason } : await validateAppRecord(path, fetched.bytes);
    changes.push(v.ok ? { op: 'put', user, path, record: v.record } : { op: 'invalid', user, path, reason: v.reason });
  }
  for (const path of indexedPaths) if (!present.has(path)) changes.push({ op: 'del', user, path });
  return changes;
}
