import { nowMicros } from '@pubky-ts/common';
import type { Database, Statement } from 'better-sqlite3';
import { GroupCommitter } from '../../db/group-commit.ts';
import { ancestorFiles } from '../path-ranges.ts';
import { storageErrors } from '../errors.ts';
import { exceedsQuota, FILE_OVERHEAD_BYTES, storageLimitBytes, writeDelta } from '../quota.ts';
import { authFingerprint } from './auth-fingerprint.ts';
import type { UserRecord, AuthStamp } from '../types.ts';
import { conditionHolds, type WriteCondition } from '../write-condition.ts';
import { BlobRefs } from './blob-refs.ts';
import type { UserRow } from './user-row.ts';
import { userFromRow } from './row-cache.ts';
import { SqliteUserTrees } from '../tree/sqlite-trees.ts';

/**
 * The commit-time half of a file write: the body has been received, hashed and, when large,
 * promoted to a pinned blob file.
 */
export interface PutJob {
  kind: 'put';
  userId: number;
  path: string;
  hash: Uint8Array;
  length: number;
  contentType: string;
  /** The bytes of an inline body; null when they are in the blob file named by `hash`. */
  inline: Buffer | null;
  /** Admin writes skip the collision check. */
  admin: boolean;
  /** Set when the write was authorised with records read from memory: they must still be current. */
  auth: AuthStamp | null;
  /** A conditional write: checked against the entry this write replaces, in its transaction. */
  condition: WriteCondition | null;
}

export interface DelJob {
  kind: 'del';
  userId: number;
  path: string;
  condition: WriteCondition | null;
}

export type WriteJob = PutJob | DelJob;

export interface WriteDone {
  /** The event's id (assigned when the batch's events are inserted, right before COMMIT). */
  eventId: number;
  /** µs; the event's and (for a PUT) the entry's modification time. */
  at: number;
  /** For a PUT: the entry's creation time (kept from the entry it replaced). */
  createdAt: number;
  /** Blob files (hex hashes) whose last reference this write dropped: unlink them after commit. */
  released: string[];
}

export interface FileWriterOptions {
  defaultQuotaMb: number | null;
  commitMode?: 'group' | 'single';
  /** After each COMMIT, with the number of commits so far. */
  onCommit?: (commits: number) => void;
  /**
   * After a COMMIT: the records, as committed (usage included), of the users whose rows the batch
   * read in full (to confirm writes authorised from memory). The row caches take them back: the
   * batch's usage UPDATE made them forget those users.
   */
  onUsersCommitted?: (users: UserRecord[]) => void;
  /**
   * Keep the per-user Merkle trees and their versions. Off by default until the PUT path pays less
   * than 10 % for it (BENCHMARKS.md "versioning": 0.5x measured so far).
   */
  versioning?: boolean;
}

/** Ancestor paths known to hold no entry, at most this many. */
const MAX_NON_FILES = 50_000;

/** A batch's events go in with multi-row INSERTs of at most this many rows. */
const EVENT_ROWS_PER_INSERT = 32;

/** An event of the open batch, inserted with the others right before COMMIT. */
interface PendingEvent {
  type: 'PUT' | 'DEL';
  userId: number;
  path: string;
  hash: Buffer | null;
  done: WriteDone;
}

interface WriteRow {
  id: number;
  content_hash: Buffer;
  content_length: number;
  is_inline: number;
  created_at: number;
}

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * The replaced entry's columns (all NULL when there is none) followed by the collision bits, as a
 * raw row: an array costs far less than a row object, whose column names are interned and added
 * property by property on every read.
 */
const PREV_COLUMNS = 'e.id, e.content_hash, e.content_length, e.inline_data IS NOT NULL, e.created_at';
type PrevAndCollision = [
  id: number | null,
  hash: Buffer,
  length: number,
  isInline: number,
  createdAt: number,
  under: number,
  files?: number,
];

function prevOf(r: PrevAndCollision): WriteRow | undefined {
  return r[0] === null ? undefined : { id: r[0], content_hash: r[1], content_length: r[2], is_inline: r[3], created_at: r[4] };
}

/**
 * The writes of entries and events, on one connection, group-committed: for a PUT the checks that
 * must hold at commit (session still current, user exists, file/directory collision, quota), the
 * entry upsert, the blob reference and the PUT event; for a DELETE the entry, the reference and the
 * DEL event; `used_bytes` summed per user over a batch and written once before COMMIT. It is the
 * only writer of `entries` and `events`, so events get their ids in commit order.
 */
export class FileWriter {
  readonly committer: GroupCommitter;
  /** The users' Merkle trees, changed in the same transactions as the entries (null: versioning off). */
  readonly trees: SqliteUserTrees | null;
  private readonly db: Database;
  private readonly defaultQuotaMb: number | null;
  private readonly refs: BlobRefs;
  private readonly entryForWrite;
  private readonly upsertEntry;
  private readonly deleteEntry;
  /** Multi-row event INSERTs, by row count. */
  private readonly insertEvents: Statement[] = [];
  private readonly pendingEvents: PendingEvent[] = [];
  private readonly addUsage;
  private readonly userUsage;
  private readonly sessionWithUser;
  private readonly dataVersion;
  private readonly prevUnder;
  private readonly prevCollideStmts: Statement[] = [];
  private readonly collideStmts: Statement[] = [];
  private readonly underDir;
  private readonly ancestorsExist;
  private readonly pendingUsage = new Map<number, { used: number; quotaMb: number | null; delta: number }>();
  /** Fingerprints of sessions confirmed in the open transaction (nobody else can change them before COMMIT). */
  private readonly confirmed = new Map<string, string | null>();
  /**
   * `${users.id}${path}` of paths known to hold no entry (a write's ancestors: directories, not
   * files), so the collision check need not probe them again. Filled inside write transactions (a
   * path without an entry still has none after COMMIT); a PUT that creates an entry drops its path
   * (this writer is the only one of `entries` on this connection), the first job of each
   * transaction checks `data_version` (other connections), and a rollback drops everything.
   */
  private readonly nonFiles = new Set<string>();
  private version: unknown;
  private checkedThisTransaction = false;
  /** Rows of users read in full in the open transaction (by `authCurrent`), by users.id. */
  private readonly usersRead = new Map<number, UserRow>();
  /** Filled right before COMMIT, handed to `onUsersCommitted` once it has succeeded. */
  private committedUsers: UserRecord[] = [];
  private readonly onUsersCommitted: ((users: UserRecord[]) => void) | undefined;

  constructor(db: Database, options: FileWriterOptions) {
    this.db = db;
    this.defaultQuotaMb = options.defaultQuotaMb;
    this.refs = new BlobRefs(db);
    this.onUsersCommitted = options.onUsersCommitted;
    this.committer = new GroupCommitter(db, {
      mode: options.commitMode,
      onCommit: (n) => {
        const users = this.committedUsers;
        if (users.length > 0) {
          this.committedUsers = [];
          this.onUsersCommitted?.(users);
        }
        this.trees?.committed();
        options.onCommit?.(n);
      },
    });
    this.trees = options.versioning === true ? new SqliteUserTrees(db, this.committer) : null;
    this.entryForWrite = db.prepare<[number, string], WriteRow>(
      'SELECT id, content_hash, content_length, inline_data IS NOT NULL AS is_inline, created_at FROM entries WHERE user_id = ? AND path = ?',
    );
    // Positional parameters: binding named ones costs a property lookup each.
    this.upsertEntry = db.prepare<[number, string, Buffer, number, string, Buffer | null, number, number]>(
      `INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(user_id, path) DO UPDATE SET content_hash = excluded.content_hash,
         content_length = excluded.content_length, content_type = excluded.content_type,
         inline_data = excluded.inline_data, modified_at = excluded.modified_at`,
    );
    this.deleteEntry = db.prepare<[number]>('DELETE FROM entries WHERE id = ?');
    this.addUsage = db.prepare<[number, number]>('UPDATE users SET used_bytes = used_bytes + ? WHERE id = ?');
    this.userUsage = db.prepare<[number], { used_bytes: number; quota_storage_mb: number | null }>(
      'SELECT used_bytes, quota_storage_mb FROM users WHERE id = ?',
    );
    this.sessionWithUser = db.prepare<[string], UserRow & { s_id: number; s_capabilities: string; s_created_at: number }>(
      `SELECT s.id AS s_id, s.capabilities AS s_capabilities, s.created_at AS s_created_at, u.*
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret = ?`,
    );
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.version = this.dataVersion.get();
    this.prevUnder = db
      .prepare<[number, string, string, number, string], PrevAndCollision>(
        `SELECT ${PREV_COLUMNS}, EXISTS(SELECT 1 FROM entries WHERE user_id = ? AND path >= ? AND path < ?)
         FROM (SELECT 1) LEFT JOIN entries e ON e.user_id = ? AND e.path = ?`,
      )
      .raw();
    this.underDir = db.prepare('SELECT 1 FROM entries WHERE user_id = ? AND path >= ? AND path < ? LIMIT 1');
    this.ancestorsExist = db.prepare('SELECT 1 FROM entries WHERE user_id = ? AND path IN (SELECT value FROM json_each(?)) LIMIT 1');
    this.committer.addBatchHooks({
      beforeCommit: () => {
        this.insertPendingEvents();
        for (const [userId, u] of this.pendingUsage) if (u.delta !== 0) this.addUsage.run(u.delta, userId);
        if (this.onUsersCommitted) {
          for (const [userId, row] of this.usersRead) {
            const u = this.pendingUsage.get(userId);
            if (u) row.used_bytes = u.used + u.delta;
            this.committedUsers.push(userFromRow(row));
          }
        }
        this.endTransaction();
      },
      afterRollback: () => {
        this.endTransaction();
        this.committedUsers = [];
        this.nonFiles.clear();
      },
    });
  }

  /** Transactions committed so far (one per batch). */
  get commits(): number {
    return this.committer.commits;
  }

  /**
   * Commits the job in the next group commit. `afterCommit` (event publication, blob unlinking)
   * runs right after its COMMIT, in submission order, before the promise settles.
   */
  write(job: WriteJob, afterCommit?: (done: WriteDone) => void): Promise<WriteDone> {
    return this.committer.submit(() => (job.kind === 'put' ? this.put(job) : this.del(job)), afterCommit);
  }

  /** Commits what is queued and refuses new writes. */
  close(): void {
    this.committer.close();
  }

  /** Whether `path` is known to hold no entry (tests). */
  isKnownNonFile(userId: number, path: string): boolean {
    return this.nonFiles.has(`${userId}${path}`);
  }

  private endTransaction(): void {
    this.pendingUsage.clear();
    this.pendingEvents.length = 0;
    this.confirmed.clear();
    this.usersRead.clear();
    this.checkedThisTransaction = false;
  }

  /**
   * The batch's events, in job order, with multi-row INSERTs (one statement instead of one per
   * write). Under the write lock AUTOINCREMENT numbers the rows of one INSERT consecutively, so
   * the ids follow from the last one.
   */
  private insertPendingEvents(): void {
    const events = this.pendingEvents;
    for (let start = 0; start < events.length; start += EVENT_ROWS_PER_INSERT) {
      const n = Math.min(EVENT_ROWS_PER_INSERT, events.length - start);
      const args: unknown[] = [];
      for (let i = start; i < start + n; i++) {
        const e = events[i]!;
        args.push(e.type, e.userId, e.path, e.hash, e.done.at);
      }
      const last = Number(this.eventInsert(n).run(args).lastInsertRowid);
      for (let i = 0; i < n; i++) events[start + i]!.done.eventId = last - n + 1 + i;
    }
  }

  private eventInsert(rows: number): Statement {
    let stmt = this.insertEvents[rows];
    if (!stmt) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', ');
      stmt = this.insertEvents[rows] = this.db.prepare(
        `INSERT INTO events (type, user_id, path, content_hash, created_at) VALUES ${values}`,
      );
    }
    return stmt;
  }

  /** Once per write transaction: drops the memo if another connection has committed. */
  private revalidate(): void {
    if (this.checkedThisTransaction) return;
    this.checkedThisTransaction = true;
    const v = this.dataVersion.get();
    if (v !== this.version) {
      this.version = v;
      this.nonFiles.clear();
    }
  }

  /** Whether the session still exists and it and its user are as they were when they authorised the write. */
  private authCurrent(auth: AuthStamp): boolean {
    let fp = this.confirmed.get(auth.secret);
    if (fp === undefined) {
      const r = this.sessionWithUser.get(auth.secret);
      if (r) this.usersRead.set(r.id, r);
      fp = r
        ? authFingerprint(
            { id: r.s_id, secret: auth.secret, user: r.public_key, capabilities: r.s_capabilities, createdAt: r.s_created_at },
            userFromRow(r),
          )
        : null;
      // Keep the caller's own string when it matches: the batch's other writes with the same stamp
      // then compare by identity instead of character by character.
      this.confirmed.set(auth.secret, fp === auth.fingerprint ? auth.fingerprint : fp);
    }
    return fp === auth.fingerprint;
  }

  private put(job: PutJob): WriteDone {
    if (job.auth && !this.authCurrent(job.auth)) throw storageErrors.staleAuth();
    this.trees?.touch(job.userId, job.path);
    // Checks first (user, collision, quota), in the reference's order.
    const { prev, collides } = this.previousAndCollision(job.userId, job.path, !job.admin);
    if (job.condition && !conditionHolds(job.condition, prev ? prev.content_hash : null)) throw storageErrors.preconditionFailed();
    const delta = writeDelta(job.length, prev ? prev.content_length : null);
    const usage = this.usageInBatch(job.userId);
    if (!usage) throw storageErrors.userNotFound();
    if (collides) throw storageErrors.pathCollision();
    if (exceedsQuota(usage.used + usage.delta, delta, storageLimitBytes({ storageQuotaMb: usage.quotaMb }, this.defaultQuotaMb))) {
      throw storageErrors.quotaExceeded();
    }
    const now = nowMicros();
    const hash = asBuffer(job.hash);
    if (!job.inline) this.refs.add(hash, job.length);
    const released: string[] = [];
    if (prev && !prev.is_inline && this.refs.release(prev.content_hash)) released.push(prev.content_hash.toString('hex'));
    // An overwrite keeps the stored created_at, which `prev` (read in this transaction) holds.
    this.upsertEntry.run(job.userId, job.path, hash, job.length, job.contentType, job.inline, now, now);
    // A new entry (admin writes skip the collision check) may be at a path remembered as a directory.
    if (!prev && this.nonFiles.size > 0) this.nonFiles.delete(`${job.userId}${job.path}`);
    const done: WriteDone = { eventId: 0, at: now, createdAt: prev ? prev.created_at : now, released };
    // Last, after every statement that could throw (see GroupCommitter.addBatchHooks).
    // Its reads can throw: before the event, so a failed job leaves nothing pending.
    this.trees?.change(job.userId, job.path, { hash, length: job.length });
    this.pendingEvents.push({ type: 'PUT', userId: job.userId, path: job.path, hash, done });
    usage.delta += delta;
    return done;
  }

  private del(job: DelJob): WriteDone {
    this.trees?.touch(job.userId, job.path);
    const prev = this.entryForWrite.get(job.userId, job.path);
    if (job.condition && !conditionHolds(job.condition, prev ? prev.content_hash : null)) throw storageErrors.preconditionFailed();
    if (!prev) throw storageErrors.notFound();
    this.deleteEntry.run(prev.id);
    const released: string[] = [];
    if (!prev.is_inline && this.refs.release(prev.content_hash)) released.push(prev.content_hash.toString('hex'));
    const now = nowMicros();
    const usage = this.usageInBatch(job.userId);
    const done: WriteDone = { eventId: 0, at: now, createdAt: prev.created_at, released };
    // Last, after every statement that could throw (see GroupCommitter.addBatchHooks).
    this.trees?.change(job.userId, job.path, null);
    this.pendingEvents.push({ type: 'DEL', userId: job.userId, path: job.path, hash: null, done });
    if (usage) usage.delta -= prev.content_length + FILE_OVERHEAD_BYTES;
    return done;
  }

  /**
   * The entry at `path` (if any) and, when `checkCollision`, whether writing it would make a file
   * and a directory share a name (spec §2.3): one statement for the usual depths. Ancestors known to
   * hold no entry are not probed again; the others are, one result bit each, and the ones without
   * an entry are remembered.
   */
  private previousAndCollision(userId: number, path: string, checkCollision: boolean): { prev: WriteRow | undefined; collides: boolean } {
    const ancestors = checkCollision ? ancestorFiles(path) : [];
    const n = ancestors.length;
    if (n === 0 || n > 32) {
      const prev = this.entryForWrite.get(userId, path);
      return { prev, collides: checkCollision && this.collides(userId, path) };
    }
    this.revalidate();
    let known = true;
    for (let i = 0; i < n && known; i++) known = this.nonFiles.has(`${userId}${ancestors[i]!}`);
    if (known) {
      const r = this.prevUnder.get(userId, `${path}/`, `${path}0`, userId, path)!;
      return { prev: prevOf(r), collides: r[5] === 1 };
    }
    let stmt = this.prevCollideStmts[n];
    if (!stmt) {
      const probes = ancestors.map((_, i) => `(EXISTS(SELECT 1 FROM entries WHERE user_id = ? AND path = ?) << ${i})`).join(' | ');
      stmt = this.prevCollideStmts[n] = this.db
        .prepare(
          `SELECT ${PREV_COLUMNS}, EXISTS(SELECT 1 FROM entries WHERE user_id = ? AND path >= ? AND path < ?), (${probes})
           FROM (SELECT 1) LEFT JOIN entries e ON e.user_id = ? AND e.path = ?`,
        )
        .raw();
    }
    const args: unknown[] = [userId, `${path}/`, `${path}0`];
    for (const a of ancestors) args.push(userId, a);
    args.push(userId, path);
    const r = stmt.get(args) as PrevAndCollision;
    const files = r[6]!;
    for (let i = 0; i < n; i++) {
      if (((files >>> i) & 1) === 0) {
        if (this.nonFiles.size >= MAX_NON_FILES) this.nonFiles.clear();
        this.nonFiles.add(`${userId}${ancestors[i]!}`);
      }
    }
    return { prev: prevOf(r), collides: r[5] === 1 || files !== 0 };
  }

  /**
   * True if writing `path` would make a file and a directory share a name (spec §2.3). A read: also
   * the early check of large uploads, outside any write transaction.
   */
  collides(userId: number, path: string): boolean {
    const ancestors = ancestorFiles(path);
    const n = ancestors.length;
    if (n > 0 && n <= 32) {
      // One statement per ancestor count: the sub-tree range and one indexed probe per ancestor
      // (cheaper than an IN list, which builds a temporary index on every run).
      let stmt = this.collideStmts[n];
      if (!stmt) {
        const probe = 'OR EXISTS(SELECT 1 FROM entries WHERE user_id = ? AND path = ?)';
        stmt = this.collideStmts[n] = this.db
          .prepare(
            `SELECT EXISTS(SELECT 1 FROM entries WHERE user_id = ? AND path >= ? AND path < ?) ${ancestors.map(() => probe).join(' ')}`,
          )
          .pluck();
      }
      const args: unknown[] = [userId, `${path}/`, `${path}0`];
      for (const a of ancestors) args.push(userId, a);
      return stmt.get(args) === 1;
    }
    if (this.underDir.get(userId, `${path}/`, `${path}0`)) return true;
    return n > 0 && this.ancestorsExist.get(userId, JSON.stringify(ancestors)) !== undefined;
  }

  /** The user's usage as the open batch sees it; null for an unknown user. */
  private usageInBatch(userId: number): { used: number; quotaMb: number | null; delta: number } | null {
    let u = this.pendingUsage.get(userId);
    if (!u) {
      const r = this.userUsage.get(userId);
      if (!r) return null;
      u = { used: r.used_bytes, quotaMb: r.quota_storage_mb, delta: 0 };
      this.pendingUsage.set(userId, u);
    }
    return u;
  }
}
