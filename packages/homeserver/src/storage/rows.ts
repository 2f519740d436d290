import { etagFromBase64 } from '@pubky-ts/common';
import type { EventType, FileEntry, StoredEvent } from './types.ts';

/** The `entries` columns both stores read for an entry (µs timestamps). */
export interface EntryRow {
  path: string;
  content_hash: Buffer;
  content_length: number;
  content_type: string;
  modified_at: number;
  created_at: number;
}

/** The ETag of a file: its BLAKE3 hash, base64, quoted (spec §2.5). */
export function etagOf(hash: Uint8Array): string {
  return etagFromBase64(Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64'));
}

export function entryFromRow(user: string, r: EntryRow): FileEntry {
  const hash = new Uint8Array(r.content_hash);
  return {
    user,
    path: r.path,
    contentHash: hash,
    contentLength: r.content_length,
    contentType: r.content_type,
    modifiedAt: r.modified_at,
    createdAt: r.created_at,
    etag: etagOf(hash),
  };
}

/** Bytes already in memory as a body stream. */
export async function* bodyOnce(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

/** The columns of an EventRow, as both stores select them (add WHERE/ORDER/LIMIT). */
export const EVENT_SELECT =
  'SELECT e.id, e.type, u.public_key, e.path, e.content_hash, e.created_at FROM events e JOIN users u ON u.id = e.user_id';
/** Only events under `/pub/` (a range on the raw string). */
export const EVENT_PUBLIC_ONLY = "e.path >= '/pub/' AND e.path < '/pub0'";

/** An event read's page size: default 100, between 1 and 1000. */
export function clampEventLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 100;
  return Math.max(1, Math.min(1000, Math.floor(limit)));
}

/** An event joined with its user's key, as both stores select it. */
export interface EventRow {
  id: number;
  type: string;
  public_key: string;
  path: string;
  content_hash: Buffer | null;
  created_at: number;
}

export function eventFromRow(r: EventRow): StoredEvent {
  return {
    id: r.id,
    type: r.type as EventType,
    user: r.public_key,
    path: r.path,
    contentHash: r.content_hash ? new Uint8Array(r.content_hash) : null,
    createdAt: r.created_at,
  };
}
