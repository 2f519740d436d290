// The archive manifest (`pubky-archive/manifest.json`): the user, and every file's path, size, BLAKE3
// hash and content type, sorted by path; and its signature (`pubky-archive/manifest.sig`): Ed25519 by
// the user's key over a domain prefix and the exact manifest bytes, as 128 hex digits and a newline.
import {
  base64Decode,
  base64Encode,
  bytesToHex,
  compareBytes,
  concatBytes,
  hexToBytes,
  type Keypair,
  parseStrictStoragePath,
  PublicKey,
  utf8Encode,
} from '@pubky-ts/common';
import { ArchiveError } from './errors.ts';
import { MAX_ENTRY_SIZE } from './tar.ts';

export const ARCHIVE_FORMAT = 'pubky-archive';
export const ARCHIVE_VERSION = 1;
/** Signed before the manifest bytes, so the signature means nothing as any other signed object. */
export const SIGNATURE_DOMAIN = 'pubky-archive/v1\n';
export const MANIFEST_ENTRY = 'pubky-archive/manifest.json';
export const SIGNATURE_ENTRY = 'pubky-archive/manifest.sig';
export const BLOB_PREFIX = 'pubky-archive/blobs/';
/** Manifests above this are refused (about 250,000 files at typical path lengths). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
export const MAX_FILES = 1_000_000;
const SIGNATURE_FILE_BYTES = 129;

export interface ArchiveFile {
  /** Canonical path in the user's tree: `/pub/…` or `/priv/…`. */
  path: string;
  size: number;
  /** BLAKE3 of the bytes, standard base64 (what the homeserver's ETag holds, unquoted). */
  hash: string;
  contentType: string | null;
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: typeof ARCHIVE_VERSION;
  /** The user whose tree this is, and whose key signs the manifest (z-base-32). */
  user: string;
  /** When the export started (ISO 8601). */
  createdAt: string;
  /** The homeserver it was exported from (z-base-32), when known. */
  source: string | null;
  files: ArchiveFile[];
}

/** Byte order of UTF-8, as homeserver listings sort. */
export function comparePaths(a: string, b: string): number {
  return compareBytes(utf8Encode(a), utf8Encode(b));
}

export function hashToHex(hash: string): string {
  return bytesToHex(base64Decode(hash));
}

export function hexToHash(hex: string): string {
  return base64Encode(hexToBytes(hex));
}

export function blobEntryName(hash: string): string {
  return BLOB_PREFIX + hashToHex(hash);
}

/** The manifest's bytes: one file per line, so `tar xOf … manifest.json` reads well. */
export function encodeManifest(m: ArchiveManifest): Uint8Array {
  const head = JSON.stringify({ format: m.format, version: m.version, user: m.user, createdAt: m.createdAt, source: m.source });
  const files = m.files.map((f) => JSON.stringify({ path: f.path, size: f.size, hash: f.hash, contentType: f.contentType }));
  const text = `${head.slice(0, -1)},"files":[${files.length === 0 ? '' : `\n${files.join(',\n')}\n`}]}\n`;
  return utf8Encode(text);
}

function signedBytes(manifest: Uint8Array): Uint8Array {
  return concatBytes(utf8Encode(SIGNATURE_DOMAIN), manifest);
}

/** The contents of manifest.sig. */
export function signManifest(manifest: Uint8Array, keypair: Keypair): Uint8Array {
  return utf8Encode(`${bytesToHex(keypair.sign(signedBytes(manifest)))}\n`);
}

function invalid(why: string): ArchiveError {
  return new ArchiveError('archive_manifest_invalid', `the archive manifest is invalid: ${why}`);
}

const HASH_RE = /^[A-Za-z0-9+/]{43}=$/;
export const CONTENT_TYPE_RE = /^[\x20-\x7e]{1,255}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const TOP_KEYS = ['format', 'version', 'user', 'createdAt', 'source', 'files'];
const FILE_KEYS = ['path', 'size', 'hash', 'contentType'];

function exactKeys(value: Record<string, unknown>, keys: string[], where: string): void {
  const have = Object.keys(value);
  for (const k of have) if (!keys.includes(k)) throw invalid(`${where} has an unknown field ${JSON.stringify(k.slice(0, 40))}`);
  for (const k of keys) if (!(k in value)) throw invalid(`${where} lacks the field "${k}"`);
}

/** The JSON of manifest.json (a JSON error or a non-object is `archive_manifest_invalid`). */
export function parseManifestJson(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw new ArchiveError('archive_too_large', `the manifest is ${bytes.length} bytes; at most ${MAX_MANIFEST_BYTES} are read`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw invalid(`not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('not a JSON object');
  return value as Record<string, unknown>;
}

/** The user the manifest names (checked before anything else, to verify the signature first). */
export function manifestUser(json: Record<string, unknown>): PublicKey {
  if (json.format !== ARCHIVE_FORMAT) throw invalid(`"format" is ${JSON.stringify(json.format)}, not "${ARCHIVE_FORMAT}"`);
  if (json.version !== ARCHIVE_VERSION)
    throw invalid(`version ${JSON.stringify(json.version)} is not supported (this SDK reads version ${ARCHIVE_VERSION})`);
  const user = typeof json.user === 'string' ? PublicKey.tryParse(json.user) : null;
  if (!user || user.z32 !== json.user) throw invalid('"user" is not a z-base-32 public key');
  return user;
}

/** Checks manifest.sig against the manifest bytes and the manifest's user. */
export function verifyManifestSignature(manifest: Uint8Array, signatureFile: Uint8Array, user: PublicKey): void {
  const fail = (why: string) => new ArchiveError('archive_signature_invalid', `the archive signature is invalid: ${why}`);
  if (signatureFile.length !== SIGNATURE_FILE_BYTES)
    throw fail(`manifest.sig is ${signatureFile.length} bytes, not 128 hex digits and a newline`);
  const text = new TextDecoder().decode(signatureFile);
  if (!/^[0-9a-f]{128}\n$/.test(text)) throw fail('manifest.sig is not 128 lowercase hex digits and a newline');
  if (!user.verify(signedBytes(manifest), hexToBytes(text.slice(0, 128)))) {
    throw fail(`manifest.json is not signed by its user ${user.z32} (it was changed, or signed by another key)`);
  }
}

/** Checks the whole schema of a (signed) manifest. */
export function validateManifest(json: Record<string, unknown>): ArchiveManifest {
  manifestUser(json);
  exactKeys(json, TOP_KEYS, 'the manifest');
  if (typeof json.createdAt !== 'string' || !ISO_RE.test(json.createdAt) || Number.isNaN(Date.parse(json.createdAt))) {
    throw invalid('"createdAt" is not an ISO 8601 UTC time');
  }
  if (json.source !== null) {
    const source = typeof json.source === 'string' ? PublicKey.tryParse(json.source) : null;
    if (!source || source.z32 !== json.source) throw invalid('"source" is neither null nor a z-base-32 public key');
  }
  if (!Array.isArray(json.files)) throw invalid('"files" is not an array');
  if (json.files.length > MAX_FILES)
    throw new ArchiveError('archive_too_large', `the manifest lists ${json.files.length} files; at most ${MAX_FILES} are supported`);
  const sizes = new Map<string, number>();
  let previous: Uint8Array | null = null;
  const files: ArchiveFile[] = [];
  for (const [i, raw] of json.files.entries()) {
    const where = `files[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${where} is not an object`);
    const f = raw as Record<string, unknown>;
    exactKeys(f, FILE_KEYS, where);
    if (typeof f.path !== 'string') throw invalid(`${where}.path is not a string`);
    let canonical: string;
    try {
      const p = parseStrictStoragePath(f.path);
      if (p.isDirectory) throw new Error('it ends in "/"');
      canonical = p.path;
    } catch (e) {
      throw invalid(`${where}.path ${JSON.stringify(f.path.slice(0, 120))} is not a canonical file path: ${(e as Error).message}`);
    }
    if (canonical !== f.path || !(f.path.startsWith('/pub/') || f.path.startsWith('/priv/'))) {
      throw invalid(`${where}.path ${JSON.stringify(f.path.slice(0, 120))} is not under /pub/ or /priv/`);
    }
    const bytes = utf8Encode(f.path);
    if (previous && compareBytes(previous, bytes) >= 0)
      throw invalid(`${where}.path ${JSON.stringify(f.path.slice(0, 120))} is out of order or repeated (paths are sorted by UTF-8 bytes)`);
    previous = bytes;
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0 || f.size > MAX_ENTRY_SIZE) {
      throw invalid(`${where}.size of ${f.path} is not a whole number of bytes in 0..${MAX_ENTRY_SIZE}`);
    }
    if (typeof f.hash !== 'string' || !HASH_RE.test(f.hash) || base64Encode(base64Decode(f.hash)) !== f.hash) {
      throw invalid(`${where}.hash of ${f.path} is not a base64 BLAKE3 hash`);
    }
    if (f.contentType !== null && (typeof f.contentType !== 'string' || !CONTENT_TYPE_RE.test(f.contentType))) {
      throw invalid(`${where}.contentType of ${f.path} is neither null nor printable text of at most 255 characters`);
    }
    const known = sizes.get(f.hash);
    if (known !== undefined && known !== f.size) throw invalid(`${f.path} has the hash of another file but a different size`);
    sizes.set(f.hash, f.size);
    files.push({ path: f.path, size: f.size, hash: f.hash, contentType: f.contentType as string | null });
  }
  return {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    user: json.user as string,
    createdAt: json.createdAt,
    source: json.source as string | null,
    files,
  };
}
