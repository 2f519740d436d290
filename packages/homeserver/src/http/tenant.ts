import { MAX_PATH_BYTES, MAX_SEGMENT_BYTES, normalizeStoragePath, PublicKey, type StoragePath } from '@pubky-ts/common';
import { httpError } from './errors.ts';
import { percentDecode } from './url.ts';

/**
 * Who a request is about (delta §1.2). Path-addressed requests (`/storage/<owner>/<path>`) name the
 * owner in the URL, which then wins over every header; all other requests use the legacy lookup.
 */
export type RequestTarget =
  | { addressing: 'legacy'; tenant: PublicKey | null }
  | { addressing: 'path'; tenant: PublicKey; storagePath: StoragePath };

const KEY_LENGTH = 52;

// Every request parses its tenant; the same few values repeat. Bounded memo of value → key.
const tenantCache = new Map<string, PublicKey | null>();
const pathCache = new Map<string, StoragePath>();
const CACHE_MAX = 4096;

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/**
 * The StoragePath of a path that is already canonical and plain (printable ASCII without `\\` or `%`, no
 * empty, `.` or `..` segment, within the length limits), or null when it needs the full
 * normaliser. For such paths normalizeStoragePath returns the input unchanged; this saves its
 * split/join and UTF-8 encodings on every upload to a new path.
 */
export function plainStoragePath(path: string): StoragePath | null {
  const n = path.length;
  if (n === 0 || n > MAX_PATH_BYTES || path.charCodeAt(0) !== 47) return null;
  let segStart = 1;
  for (let i = 1; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47;
    if (c === 47) {
      const len = i - segStart;
      if (len === 0) {
        // Only a trailing slash (directory) or the root may end in an empty segment.
        if (i !== n) return null;
      } else {
        if (len > MAX_SEGMENT_BYTES) return null;
        if (path.charCodeAt(segStart) === 46 && (len === 1 || (len === 2 && path.charCodeAt(segStart + 1) === 46))) return null;
      }
      segStart = i + 1;
    } else if (c < 0x21 || c > 0x7e || c === 92 || c === 37) {
      return null;
    }
  }
  return { path, isDirectory: path.charCodeAt(n - 1) === 47 };
}

/** A host-ish value as the reference reads it: lenient pkarr parse, `pubky<z32>` ignored. */
export function parseTenantValue(value: string | undefined): PublicKey | null {
  if (value === undefined || value.length < KEY_LENGTH) return null;
  if (value.length === KEY_LENGTH + 5 && value.startsWith('pubky')) return null;
  const hit = tenantCache.get(value);
  if (hit !== undefined) return hit;
  return remember(tenantCache, value, PublicKey.tryParse(value));
}

function firstQueryPubkyHost(rawQuery: string): string | undefined {
  if (!rawQuery.includes('pubky-host=')) return undefined;
  for (const pair of rawQuery.split('&')) {
    if (pair.startsWith('pubky-host=')) return pair.slice('pubky-host='.length);
  }
  return undefined;
}

function header(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** Legacy tenant: `pubky-host` header > `Host` > first `?pubky-host=` pair (value not decoded). */
export function legacyTenant(headers: Record<string, string | string[] | undefined>, rawQuery: string): PublicKey | null {
  return (
    parseTenantValue(header(headers['pubky-host'])) ??
    parseTenantValue(header(headers.host)) ??
    parseTenantValue(firstQueryPubkyHost(rawQuery))
  );
}

/** Resolves the target of a request from its raw path and query; throws HttpError 400 on bad `/storage/…`. */
export function resolveTarget(rawPath: string, rawQuery: string, headers: Record<string, string | string[] | undefined>): RequestTarget {
  if (rawPath === '/storage' || rawPath === '/storage/') {
    throw httpError('MISSING_STORAGE_OWNER_OR_PATH');
  }
  if (!rawPath.startsWith('/storage/')) {
    return { addressing: 'legacy', tenant: legacyTenant(headers, rawQuery) };
  }
  const rest = rawPath.slice('/storage/'.length);
  const slash = rest.indexOf('/');
  if (slash < 0 || slash === rest.length - 1) throw httpError('MISSING_STORAGE_PATH');
  const owner = rest.slice(0, slash);
  let tenant: PublicKey;
  try {
    tenant = PublicKey.parseZ32(owner);
  } catch {
    throw httpError('INVALID_STORAGE_OWNER');
  }
  const decoded = percentDecode(rest.slice(slash + 1));
  if (decoded === null) throw httpError('STORAGE_PATH_NOT_UTF8');
  let storagePath: StoragePath;
  try {
    storagePath = plainStoragePath(`/${decoded}`) ?? normalizeStoragePath(`/${decoded}`);
  } catch (e) {
    throw httpError('INVALID_STORAGE_PATH', (e as Error).message);
  }
  return { addressing: 'path', tenant, storagePath };
}

/**
 * The legacy storage path of a request: percent-decoded, normalised. Errors are 400
 * `Invalid URL: <reason>` (the reference's path-extractor rejection).
 */
export function legacyStoragePath(rawPath: string): StoragePath {
  // Plain paths are cheaper to check than to memoise (uploads to new paths would churn the memo).
  const plain = plainStoragePath(rawPath);
  if (plain) return plain;
  const hit = pathCache.get(rawPath);
  if (hit) return hit;
  const decoded = percentDecode(rawPath);
  if (decoded === null) throw httpError('INVALID_URL', 'path is not valid UTF-8');
  let sp: StoragePath;
  try {
    sp = normalizeStoragePath(decoded);
  } catch (e) {
    throw httpError('INVALID_URL', (e as Error).message);
  }
  return remember(pathCache, rawPath, sp);
}

/**
 * Whether a legacy request path counts as private for the cache policy: the raw, the decoded and the
 * normalised forms are each tested (spec §1.5), so `/pub/%2e%2e/priv/x` is private. A path that
 * does not normalise is treated as private when any form mentions `/priv`, erring towards no-store.
 */
export function isPrivateRawPath(rawPath: string): boolean {
  if (rawPath.startsWith('/priv/')) return true;
  // Without escapes or dot segments the raw path is its own normal form.
  if (!rawPath.includes('%') && !rawPath.includes('/.') && !rawPath.includes('//') && rawPath.charCodeAt(0) === 47) return false;
  const decoded = percentDecode(rawPath);
  if (decoded === null) return rawPath.includes('priv');
  if (decoded.startsWith('/priv/')) return true;
  try {
    return normalizeStoragePath(decoded).path.startsWith('/priv/');
  } catch {
    return decoded.includes('/priv') || rawPath.includes('priv');
  }
}
