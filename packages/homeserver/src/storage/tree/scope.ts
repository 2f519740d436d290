import { compareBytes, privateTreeKey, publicTreeKey } from '@pubky-ts/common';

/** Which of a user's two trees a path belongs to: 0 = `/pub/`, 1 = `/priv/`. */
export type TreeScope = 0 | 1;
export const PUBLIC_SCOPE: TreeScope = 0;
export const PRIVATE_SCOPE: TreeScope = 1;

export const SCOPE_PREFIX: Record<TreeScope, string> = { 0: '/pub/', 1: '/priv/' };
/** The first string after every path under the prefix (the range end of a prefix scan). */
export const SCOPE_END: Record<TreeScope, string> = { 0: '/pub0', 1: '/priv0' };

/** null for paths in no tree (admin/WebDAV writes outside `/pub/` and `/priv/`). */
export function scopeOf(path: string): TreeScope | null {
  if (path.startsWith('/pub/')) return PUBLIC_SCOPE;
  if (path.startsWith('/priv/')) return PRIVATE_SCOPE;
  return null;
}

/** The tree key of `path`: its bytes in `/pub/`, a keyed hash under the user's secret in `/priv/`. */
export function treeKey(scope: TreeScope, path: string, secret: Uint8Array | null): Uint8Array {
  return scope === PUBLIC_SCOPE ? publicTreeKey(path) : privateTreeKey(secret!, path);
}

export function byKey(a: { key: Uint8Array }, b: { key: Uint8Array }): number {
  return compareBytes(a.key, b.key);
}
