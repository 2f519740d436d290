import { bytesEqual, mstBuild, mstRoot, randomBytes, type LeafValue } from '@pubky-ts/common';
import type { Database, Statement } from 'better-sqlite3';
import type { GroupCommitter } from '../../db/group-commit.ts';
import { byKey, PRIVATE_SCOPE, SCOPE_END, SCOPE_PREFIX, scopeOf, treeKey, type TreeScope } from './scope.ts';
import { applyChange, pendingChanged, TreeCache, type PendingTree, type TreeVersion, type UserTree } from './user-tree.ts';

/** Entries the tree cache holds at most, over all users (about 150 bytes each in memory). */
export const DEFAULT_TREE_CACHE_ENTRIES = 2_000_000;

type VersionRow = { version: number; root: Buffer; prev_root: Buffer | null; created_at: number };

/**
 * The per-user Merkle trees of the embedded profile. The entries table is the truth: a tree is a
 * function of a user's entries and is rebuilt from them when it is not in memory; what the database
 * keeps is one `tree_versions` row per change (version, root, previous root, time), written in the
 * same transaction as the entries it covers (FileWriter's group commit), so after any crash the
 * latest row's root is the root of the committed entries.
 *
 * A batch's changes go to pending copies of the trees (nodes are immutable; a rollback drops the
 * copies); right before COMMIT each tree that changed gets its next version row; after COMMIT the
 * copies become the cached trees. One version per batch and tree, not per write.
 */
export class SqliteUserTrees {
  private readonly cache: TreeCache;
  private readonly pending = new Map<string, PendingTree>();
  private readonly latest: Statement<[number, number], VersionRow>;
  private readonly insertVersion: Statement<[number, number, number, Buffer, Buffer | null, number]>;
  private readonly scan: Statement<[number, string, string], [string, Buffer, number]>;
  private readonly getSecret: Statement<[number], Buffer>;
  private readonly putSecret: Statement<[number, Buffer]>;
  private readonly atVersion: Statement<[number, number, number], VersionRow>;

  constructor(
    private readonly db: Database,
    committer: GroupCommitter,
    options: { cacheEntries?: number } = {},
  ) {
    this.cache = new TreeCache(options.cacheEntries ?? DEFAULT_TREE_CACHE_ENTRIES);
    this.latest = db.prepare(
      'SELECT version, root, prev_root, created_at FROM tree_versions WHERE user_id = ? AND scope = ? ORDER BY version DESC LIMIT 1',
    );
    this.atVersion = db.prepare(
      'SELECT version, root, prev_root, created_at FROM tree_versions WHERE user_id = ? AND scope = ? AND version = ?',
    );
    this.insertVersion = db.prepare(
      'INSERT INTO tree_versions (user_id, scope, version, root, prev_root, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.scan = db
      .prepare<[number, string, string], [string, Buffer, number]>(
        'SELECT path, content_hash, content_length FROM entries WHERE user_id = ? AND path >= ? AND path < ? ORDER BY path',
      )
      .raw();
    this.getSecret = db.prepare<[number], Buffer>('SELECT secret FROM tree_secrets WHERE user_id = ?').pluck();
    this.putSecret = db.prepare('INSERT OR IGNORE INTO tree_secrets (user_id, secret) VALUES (?, ?)');
    committer.addBatchHooks({
      beforeCommit: () => this.recordVersions(),
      afterRollback: () => this.pending.clear(),
    });
  }

  /**
   * At the start of a write job, before it changes `entries`: the tree `path` belongs to, as the
   * transaction found it (a tree rebuilt from entries after the job's upsert would already hold it).
   */
  touch(userId: number, path: string): void {
    const scope = scopeOf(path);
    if (scope !== null) this.pendingTree(userId, scope);
  }

  /** In a write job, after its last statement that can throw: the entry at `path` is now `value` (null = deleted). */
  change(userId: number, path: string, value: LeafValue | null): void {
    const scope = scopeOf(path);
    if (scope !== null) applyChange(this.pendingTree(userId, scope), path, value);
  }

  private pendingTree(userId: number, scope: TreeScope): PendingTree {
    const k = TreeCache.key(userId, scope);
    let p = this.pending.get(k);
    if (!p) {
      const base = this.current(userId, scope);
      p = { base, tree: base.tree, size: base.size };
      this.pending.set(k, p);
    }
    return p;
  }

  /** After COMMIT: the batch's trees are the current ones. */
  committed(): void {
    for (const p of this.pending.values()) {
      this.cache.set({ ...p.base, tree: p.tree, size: p.size, version: pendingChanged(p) ? p.base.version + 1 : p.base.version });
    }
    this.pending.clear();
  }

  /**
   * The committed tree, read from memory when its cached version is still the latest row (another
   * process may have written), else rebuilt from the entries. Outside a write job, call it between
   * batches (better-sqlite3 is synchronous: any other caller is).
   */
  current(userId: number, scope: TreeScope): UserTree {
    const row = this.latest.get(userId, scope);
    const cached = this.cache.get(userId, scope);
    if (cached && (row ? cached.version === row.version && bytesEqual(mstRoot(cached.tree), row.root) : cached.version === 0))
      return cached;
    const tree = this.load(userId, scope, row?.version ?? 0);
    // Inside a write transaction it may roll back (with a secret created in it): cached at COMMIT.
    if (!this.db.inTransaction) this.cache.set(tree);
    return tree;
  }

  /** The tree rebuilt from the user's entries (the reference the crash test compares with). */
  load(userId: number, scope: TreeScope, version: number): UserTree {
    const secret = scope === PRIVATE_SCOPE ? this.secret(userId) : null;
    const entries = this.scan
      .all(userId, SCOPE_PREFIX[scope], SCOPE_END[scope])
      .map(([path, hash, length]) => ({ key: treeKey(scope, path, secret), value: { hash: new Uint8Array(hash), length } }));
    if (scope === PRIVATE_SCOPE) entries.sort(byKey);
    return { userId, scope, version, tree: mstBuild(entries), secret, size: entries.length };
  }

  latestVersion(userId: number, scope: TreeScope): TreeVersion | null {
    return toVersion(this.latest.get(userId, scope));
  }

  version(userId: number, scope: TreeScope, version: number): TreeVersion | null {
    return toVersion(this.atVersion.get(userId, scope, version));
  }

  /** The user's `/priv/` key secret, created on first use. */
  secret(userId: number): Uint8Array {
    let s = this.getSecret.get(userId);
    if (!s) {
      this.putSecret.run(userId, Buffer.from(randomBytes(32)));
      s = this.getSecret.get(userId)!;
    }
    return new Uint8Array(s);
  }

  private recordVersions(): void {
    const now = Date.now() * 1000;
    for (const p of this.pending.values()) {
      if (!pendingChanged(p)) continue;
      const root = Buffer.from(mstRoot(p.tree));
      this.insertVersion.run(p.base.userId, p.base.scope, p.base.version + 1, root, Buffer.from(mstRoot(p.base.tree)), now);
    }
  }
}

function toVersion(r: VersionRow | undefined): TreeVersion | null {
  return r
    ? {
        version: r.version,
        root: new Uint8Array(r.root),
        prevRoot: r.prev_root ? new Uint8Array(r.prev_root) : null,
        createdAt: r.created_at,
      }
    : null;
}
