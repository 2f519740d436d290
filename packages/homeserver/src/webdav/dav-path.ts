import { normalizeStoragePath, PublicKey } from '@pubky-ts/common';
import { httpError } from '../http/errors.ts';
import { percentDecode } from '../http/url.ts';

/**
 * Where a WebDAV tree is mounted: the operator's `/dav/` (first segment: the user's key) or a
 * user's own mount (`user` fixed: the mount's root holds `pub/` and `priv/`).
 */
export interface DavMount {
  /** URL path prefix without trailing slash, e.g. `/dav`. */
  prefix: string;
  /** The one user of a user mount; null on the operator's mount. */
  user: string | null;
}

/** What a URL names. */
export type Resource =
  | { kind: 'root' }
  | { kind: 'user'; z32: string }
  /** `path` is a storage path; `dir` when the URL ended with `/` (or is a root). */
  | { kind: 'path'; z32: string; path: string; dir: boolean };

export type PathResource = Extract<Resource, { kind: 'path' }>;

export function underMount(mount: DavMount, path: string): boolean {
  return path === mount.prefix || path.startsWith(`${mount.prefix}/`);
}

/** Parses the raw (still percent-encoded) URL path of a request under `mount`. */
export function parseDavPath(mount: DavMount, rawPath: string): Resource {
  // An encoded slash would make one segment look like two (or hide a `..`).
  if (/%(2f|5c)/i.test(rawPath)) throw httpError('INVALID_URL', 'encoded slashes (%2F, %5C) are not allowed in paths');
  const decoded = percentDecode(rawPath.slice(mount.prefix.length) || '/');
  if (decoded === null) throw httpError('INVALID_URL', 'path is not valid UTF-8');
  let normal: string;
  try {
    normal = normalizeStoragePath(decoded).path;
  } catch (e) {
    throw httpError('INVALID_URL', (e as Error).message);
  }
  let z32: string;
  let rest: string;
  if (mount.user !== null) {
    z32 = mount.user;
    rest = normal;
  } else {
    if (normal === '/') return { kind: 'root' };
    const slash = normal.indexOf('/', 1);
    const keyText = slash < 0 ? normal.slice(1) : normal.slice(1, slash);
    try {
      z32 = PublicKey.parseZ32(keyText).z32;
    } catch (e) {
      throw httpError('INVALID_PUBLIC_KEY', (e as Error).message);
    }
    rest = slash < 0 ? '/' : normal.slice(slash);
  }
  if (rest === '/') return { kind: 'user', z32 };
  const dir = rest.endsWith('/') || rest === '/pub' || rest === '/priv';
  return { kind: 'path', z32, path: dir && !rest.endsWith('/') ? `${rest}/` : rest, dir };
}

/** The URL of a storage path (or of the user's root when `path` is `/`). */
export function hrefOf(mount: DavMount, z32: string, path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return mount.user !== null ? `${mount.prefix}${encoded}` : `${mount.prefix}/${z32}${encoded}`;
}

export function lastSegment(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The collection holding `path` (ending with `/`). */
export function parentOf(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(0, trimmed.lastIndexOf('/') + 1);
}

export const asDir = (path: string): string => (path.endsWith('/') ? path : `${path}/`);
export const asFile = (path: string): string => (path.endsWith('/') ? path.slice(0, -1) : path);
