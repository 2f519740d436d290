import { PathPolicyFileStore } from './path-policy.ts';
import { QuotaFileStore } from './quota-file-store.ts';
import type { FileStore, UserStore } from './types.ts';

/**
 * The file store the HTTP, admin and WebDAV layers use, over a profile's bookkeeping store: the
 * path policy (roots, file-shaped targets, unknown/disabled users, allowed write paths) outside,
 * then the early quota check, then `raw`. Both profiles build their chain here, so the order of
 * the layers is decided once.
 */
export function fileStoreChain(raw: FileStore, users: Pick<UserStore, 'get'>, defaultQuotaMb: number | null): PathPolicyFileStore {
  return new PathPolicyFileStore(new QuotaFileStore(raw, users, defaultQuotaMb), users);
}
