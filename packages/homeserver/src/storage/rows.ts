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
  return `"${Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64')}"`;
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
