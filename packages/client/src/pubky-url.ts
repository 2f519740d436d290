// The address forms the SDK understands (spec pkarr-dht-relay §1.2, §3.3; homeserver §11).
import { normalizeStoragePath, PublicKey } from '@pubky-ts/common';
import { ClientError } from './errors.ts';

/** Where a pubky URL points: a user's data (resolved through `_pubky`) or a key's own host. */
export type PubkyTarget =
  /** `pubky://<user>/…`, `pubky<user>/…`, `https://_pubky.<user>/…` */
  | { kind: 'user'; owner: PublicKey; pathAndQuery: string }
  /** `https://<key>/…`: the key's own endpoints, `pubky-host: <key>` (e.g. a homeserver's `/signup`). */
  | { kind: 'host'; host: PublicKey; pathAndQuery: string };

const Z32 = '[ybndrfg8ejkmcpqxot1uwisza345h769]{52}';
const PUBKY_SCHEME = new RegExp(`^pubky://(${Z32})(/[^#]*)?(?:#.*)?$`, 'i');
const PUBKY_PREFIX = new RegExp(`^pubky(${Z32})(/[^#]*)?(?:#.*)?$`, 'i');
const HTTPS_PUBKY = new RegExp(`^https?://_pubky\\.(${Z32})\\.?(?::\\d+)?(/[^#]*)?(?:#.*)?$`, 'i');
const HTTPS_KEY = new RegExp(`^https?://(${Z32})\\.?(?::\\d+)?(/[^#]*)?(?:#.*)?$`, 'i');

function key(z32: string, input: string): PublicKey {
  try {
    return PublicKey.parse(z32.toLowerCase());
  } catch (e) {
    throw new ClientError('invalid_pubky_url', `${JSON.stringify(input.slice(0, 120))} names an invalid key: ${(e as Error).message}`);
  }
}

/** Classifies a URL; null for ordinary URLs that go straight to fetch. */
export function parsePubkyTarget(input: string): PubkyTarget | null {
  for (const re of [PUBKY_SCHEME, PUBKY_PREFIX, HTTPS_PUBKY]) {
    const m = re.exec(input);
    if (m) return { kind: 'user', owner: key(m[1], input), pathAndQuery: m[2] || '/' };
  }
  const m = HTTPS_KEY.exec(input);
  if (m) return { kind: 'host', host: key(m[1], input), pathAndQuery: m[2] || '/' };
  if (/^pubky(:|[ybndrfg8ejkmcpqxot1uwisza345h769]{10})/i.test(input)) {
    throw new ClientError(
      'invalid_pubky_url',
      `${JSON.stringify(input.slice(0, 120))} is not a valid pubky URL (expected pubky://<key>/<path>)`,
    );
  }
  return null;
}

/** A resolved storage address: whose tree, and the canonical path in it. */
export interface ResourceAddress {
  owner: PublicKey;
  path: string;
  isDirectory: boolean;
}

/**
 * Parses a public storage address: `pubky://<user>/<path>`, `pubky<user>/<path>` or
 * `https://_pubky.<user>/<path>`. The path is literal text (as listings return it), not
 * percent-encoded; it is normalised like the homeserver does.
 */
export function parseResourceAddress(input: string): ResourceAddress {
  if (typeof input !== 'string') throw new ClientError('invalid_pubky_url', 'an address must be a string');
  const target = parsePubkyTarget(input);
  if (!target || target.kind !== 'user') {
    throw new ClientError(
      'invalid_pubky_url',
      `${JSON.stringify(input.slice(0, 120))} is not a pubky address (expected pubky://<key>/<path> or pubky<key>/<path>)`,
    );
  }
  const q = target.pathAndQuery.indexOf('?');
  const rawPath = q >= 0 ? target.pathAndQuery.slice(0, q) : target.pathAndQuery;
  const p = normalizePath(rawPath);
  return { owner: target.owner, path: p.path, isDirectory: p.isDirectory };
}

/** Normalises a path inside a user's tree; errors carry code `invalid_path`. */
export function normalizePath(path: string): { path: string; isDirectory: boolean } {
  if (typeof path !== 'string') throw new ClientError('invalid_argument', 'a path must be a string');
  return normalizeStoragePath(path.startsWith('/') ? path : `/${path}`);
}

/** Percent-encodes a canonical path segment by segment for a request URL. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
