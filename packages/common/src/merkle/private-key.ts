import { hmacSha256 } from '#sha256';
import { utf8Encode } from '../bytes.ts';

/**
 * The key a `/priv/` path has in its user's private tree: HMAC-SHA-256 under a per-user secret
 * the homeserver holds (and shows only to the owner). Without the secret nobody can test a guessed
 * path (or a guessed path and content) against a private root: the root reveals nothing about the
 * paths beyond how many entries the tree has, and its changes only that something changed.
 */
export function privateTreeKey(secret: Uint8Array, path: string): Uint8Array {
  return hmacSha256(secret, utf8Encode(path));
}

/** The key a `/pub/` path has in its user's public tree: its UTF-8 bytes (so keys sort as paths). */
export function publicTreeKey(path: string): Uint8Array {
  return utf8Encode(path);
}
