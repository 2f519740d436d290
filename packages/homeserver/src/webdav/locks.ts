import { randomUUID } from 'node:crypto';

/**
 * WebDAV write locks (RFC 4918 §6, §7), held by this process. A lock is on a user's path (a
 * collection's ends with `/`) with depth 0 or infinity, exclusive or shared, owned by the principal
 * that took it (the admin, or a user through their app password): another principal's token never
 * unlocks, refreshes or satisfies anything. Expired locks vanish lazily.
 */
export interface DavLock {
  token: string;
  user: string;
  /** Storage path; collections end with `/`. */
  path: string;
  depth: 0 | 'infinity';
  scope: 'exclusive' | 'shared';
  /** The client's DAV:owner element, serialized, or ''. */
  ownerXml: string;
  principal: string;
  timeoutSeconds: number;
  expiresAt: number;
}

export const MAX_LOCK_SECONDS = 3600;
export const DEFAULT_LOCK_SECONDS = 600;
const MAX_LOCKS = 10_000;

/** Whether a lock on `lockPath` covers `path` (the path itself, or under it with depth infinity). */
function covers(lock: DavLock, path: string): boolean {
  if (lock.path === path) return true;
  return lock.depth === 'infinity' && lock.path.endsWith('/') && path.startsWith(lock.path);
}

/** `path` as a collection key too: `/a/b` and `/a/b/` name the same resource. */
const sameResource = (a: string, b: string): boolean => a === b || a === `${b}/` || b === `${a}/`;

export class LockTable {
  private readonly locks = new Map<string, DavLock>();
  constructor(private readonly now: () => number = () => Date.now()) {}

  private live(): DavLock[] {
    const t = this.now();
    const out: DavLock[] = [];
    for (const [token, l] of this.locks) {
      if (l.expiresAt <= t) this.locks.delete(token);
      else out.push(l);
    }
    return out;
  }

  /** Locks that apply to `path` (on it, or on an ancestor with depth infinity). */
  covering(user: string, path: string): DavLock[] {
    return this.live().filter((l) => l.user === user && (covers(l, path) || sameResource(l.path, path)));
  }

  /** Locks on `dir` or anything under it (what a DELETE or MOVE of the collection would remove). */
  within(user: string, dir: string): DavLock[] {
    const d = dir.endsWith('/') ? dir : `${dir}/`;
    return this.live().filter((l) => l.user === user && (l.path.startsWith(d) || sameResource(l.path, dir)));
  }

  get(token: string): DavLock | undefined {
    const l = this.locks.get(token);
    if (!l) return undefined;
    if (l.expiresAt <= this.now()) {
      this.locks.delete(token);
      return undefined;
    }
    return l;
  }

  /**
   * A new lock, or the locks it conflicts with: an exclusive lock conflicts with any lock that
   * covers the path (or, with depth infinity, lies under it); a shared one only with exclusive ones.
   */
  create(lock: Omit<DavLock, 'token' | 'expiresAt'>): DavLock | { conflicts: DavLock[] } | null {
    const overlapping = [...this.covering(lock.user, lock.path), ...(lock.depth === 'infinity' ? this.within(lock.user, lock.path) : [])];
    const conflicts = [...new Set(overlapping)].filter((l) => lock.scope === 'exclusive' || l.scope === 'exclusive');
    if (conflicts.length > 0) return { conflicts };
    if (this.locks.size >= MAX_LOCKS && this.live().length >= MAX_LOCKS) return null;
    const full: DavLock = { ...lock, token: `opaquelocktoken:${randomUUID()}`, expiresAt: this.now() + lock.timeoutSeconds * 1000 };
    this.locks.set(full.token, full);
    return full;
  }

  refresh(lock: DavLock, timeoutSeconds: number): void {
    lock.timeoutSeconds = timeoutSeconds;
    lock.expiresAt = this.now() + timeoutSeconds * 1000;
  }

  remove(token: string): void {
    this.locks.delete(token);
  }

  /** Drops the locks on `path` and under it (the resource is gone). */
  dropWithin(user: string, path: string): void {
    for (const l of this.within(user, path)) this.locks.delete(l.token);
  }
}

/** `Timeout: Second-N, Infinite` (RFC 4918 §10.7): the first acceptable value, capped. */
export function lockTimeout(header: string | undefined): number {
  if (!header) return DEFAULT_LOCK_SECONDS;
  for (const part of header.split(',')) {
    const v = part.trim();
    if (/^infinite$/i.test(v)) return MAX_LOCK_SECONDS;
    const m = /^Second-(\d{1,10})$/i.exec(v);
    if (m) return Math.max(1, Math.min(MAX_LOCK_SECONDS, Number(m[1])));
  }
  return DEFAULT_LOCK_SECONDS;
}
