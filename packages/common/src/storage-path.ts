import { utf8Encode } from './bytes.ts';
import { PubkyError, commonError } from './errors.ts';

/** Limits of a canonical storage path (spec homeserver-delta §3). */
export const MAX_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 972;
export const PUBLIC_ROOT = '/pub/';
export const PRIVATE_ROOT = '/priv/';

/** A canonical path inside a user's tree: `path` starts with `/`; directories end with `/`. */
export interface StoragePath {
  path: string;
  isDirectory: boolean;
}

// Unicode general category Cc.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Rust's char::is_whitespace is the Unicode White_Space property.
const WHITESPACE = /[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

function fail(reason: string): never {
  throw commonError('invalid_path', reason);
}

function checkSegment(segment: string): void {
  if (CONTROL.test(segment)) fail('path contains a control character');
  if (segment.includes('\\')) fail('path must not contain a backslash');
  const len = utf8Encode(segment).length;
  if (len > MAX_SEGMENT_BYTES) fail(`path segment is ${len} bytes; maximum is ${MAX_SEGMENT_BYTES}`);
}

function finish(segments: string[], isDirectory: boolean): StoragePath {
  const body = segments.join('/');
  const path = segments.length === 0 ? '/' : isDirectory ? `/${body}/` : `/${body}`;
  if (!isDirectory && WHITESPACE.test(path)) fail('path must not end in whitespace');
  const len = utf8Encode(path).length;
  if (len > MAX_PATH_BYTES) fail(`path is ${len} bytes; maximum is ${MAX_PATH_BYTES}`);
  return { path, isDirectory: isDirectory || segments.length === 0 };
}

/**
 * Normalises a request path: empty and `.` segments dropped, `..` pops one segment. A path is a
 * directory when it ends with `/` or its last segment is `.` or `..`. Throws PubkyError
 * `invalid_path` whose message is the reference's reason text.
 */
export function normalizeStoragePath(input: string): StoragePath {
  if (!input.startsWith('/')) fail("path must start with '/'");
  const raw = input.split('/');
  const last = raw[raw.length - 1];
  const isDirectory = last === '' || last === '.' || last === '..';
  const segments: string[] = [];
  for (const segment of raw) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) fail('path traverses above root');
      segments.pop();
      continue;
    }
    checkSegment(segment);
    segments.push(segment);
  }
  return finish(segments, isDirectory);
}

/** The strict form (capability scopes, cursors, admin paths): the input must already be canonical. */
export function parseStrictStoragePath(input: string): StoragePath {
  if (!input.startsWith('/')) fail("path must start with '/'");
  if (input === '/') return { path: '/', isDirectory: true };
  const isDirectory = input.endsWith('/');
  const raw = input.slice(1, isDirectory ? -1 : undefined).split('/');
  for (const segment of raw) {
    if (segment === '') fail('path contains an empty segment');
    if (segment === '.') fail('path contains a . segment');
    if (segment === '..') fail('path contains a .. segment');
    checkSegment(segment);
  }
  return finish(raw, isDirectory);
}

/** Whether a canonical path lies under `/priv/` (its responses must not be cached). */
export function isPrivatePath(path: string): boolean {
  return path.startsWith(PRIVATE_ROOT);
}
