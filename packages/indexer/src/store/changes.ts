import type { AppRecord } from '@pubky-ts/client';

/** What one event turned into, after its body was fetched and checked. */
export type Change =
  | { op: 'put'; user: string; path: string; record: AppRecord }
  | { op: 'del'; user: string; path: string }
  /** The current file breaks a rule: whatever the path held before is dropped, the reason kept. */
  | { op: 'invalid'; user: string; path: string; reason: string }
  /** The user lives on this homeserver now (a migration): the changes that follow re-read their tree. */
  | { op: 'move'; user: string }
  /** Outside the data model (other apps, or a user who lives on another homeserver): counted only. */
  | { op: 'skip'; user: string };

/** A post or user a tag URI points at. */
export function tagTarget(uri: string): { user: string | null; post: string | null } {
  const m = /^pubky:\/\/([a-z0-9]{52})(?:\/(?:pub\/pubky\.app\/posts\/([0-9A-Z]{13}))?)?$/.exec(uri);
  if (!m) return { user: null, post: null };
  return { user: m[1], post: m[2] ?? null };
}

/** `pubky://<user>/pub/pubky.app/posts/<id>` → its parts. */
export function postRef(uri: string | null | undefined): { author: string; id: string } | null {
  if (!uri) return null;
  const m = /^pubky:\/\/([a-z0-9]{52})\/pub\/pubky\.app\/posts\/([0-9A-Z]{13})$/.exec(uri);
  return m ? { author: m[1], id: m[2] } : null;
}
