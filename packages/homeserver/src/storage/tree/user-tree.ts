import { bytesEqual, mstDelete, mstPut, mstRoot, type LeafValue, type MstNode } from '@pubky-ts/common';
import { treeKey, type TreeScope } from './scope.ts';

/** One user's tree of one scope, as of a version. Immutable: a change makes a new one. */
export interface UserTree {
  readonly userId: number;
  readonly scope: TreeScope;
  /** 0 before the first recorded change (a tree loaded from entries written before versioning). */
  readonly version: number;
  readonly tree: MstNode | null;
  /** The `/priv/` tree's key secret (null for `/pub/`). */
  readonly secret: Uint8Array | null;
  /** Entries in the tree (for the cache's memory budget). */
  readonly size: number;
}

/** A version row: what the database records for each change of a tree. */
export interface TreeVersion {
  version: number;
  root: Uint8Array;
  prevRoot: Uint8Array | null;
  createdAt: number;
}

/** A tree changed by the open transaction, not yet committed. */
export interface PendingTree {
  base: UserTree;
  tree: MstNode | null;
  size: number;
}

export function applyChange(p: PendingTree, path: string, value: LeafValue | null): void {
  const key = treeKey(p.base.scope, path, p.base.secret);
  if (value) {
    // The size only weighs the cache budget: counting overwrites as additions errs on the safe side
    // (an extra descent per write to tell them apart costs more than it saves).
    p.size++;
    p.tree = mstPut(p.tree, key, value);
  } else {
    const before = p.tree;
    p.tree = mstDelete(before, key);
    if (p.tree !== before) p.size = Math.max(0, p.size - 1);
  }
}

/** Whether the pending tree's root differs from its base (a rewrite of identical bytes changes nothing). */
export function pendingChanged(p: PendingTree): boolean {
  return !bytesEqual(mstRoot(p.tree), mstRoot(p.base.tree));
}

/**
 * The trees of recently used users, as committed, within a budget of entries (a tree is rebuilt
 * from the user's entries when it is not here). Least recently used first out.
 */
export class TreeCache {
  private readonly trees = new Map<string, UserTree>();
  private entries = 0;
  constructor(private readonly maxEntries: number) {}

  static key(userId: number, scope: TreeScope): string {
    return `${userId}:${scope}`;
  }

  get(userId: number, scope: TreeScope): UserTree | undefined {
    const k = TreeCache.key(userId, scope);
    const t = this.trees.get(k);
    if (t) {
      this.trees.delete(k);
      this.trees.set(k, t);
    }
    return t;
  }

  set(t: UserTree): void {
    const k = TreeCache.key(t.userId, t.scope);
    const old = this.trees.get(k);
    if (old) {
      this.entries -= old.size;
      this.trees.delete(k);
    }
    this.trees.set(k, t);
    this.entries += t.size;
    for (const [key, v] of this.trees) {
      if (this.entries <= this.maxEntries || this.trees.size === 1) break;
      this.trees.delete(key);
      this.entries -= v.size;
    }
  }

  drop(userId: number, scope: TreeScope): void {
    const k = TreeCache.key(userId, scope);
    const old = this.trees.get(k);
    if (old) {
      this.entries -= old.size;
      this.trees.delete(k);
    }
  }
}
