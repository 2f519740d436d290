import type { Database } from 'better-sqlite3';

/** Shared blob reference counting (entries → blob_files), used by writes, deletes and account deletion. */
export class BlobRefs {
  private readonly addStmt;
  private readonly decStmt;
  private readonly dropStmt;
  private readonly hasStmt;

  constructor(db: Database) {
    this.addStmt = db.prepare(
      'INSERT INTO blob_files (hash, size, refcount) VALUES (?, ?, 1) ON CONFLICT(hash) DO UPDATE SET refcount = refcount + 1',
    );
    this.decStmt = db.prepare<[Uint8Array], { refcount: number }>(
      'UPDATE blob_files SET refcount = refcount - 1 WHERE hash = ? RETURNING refcount',
    );
    this.dropStmt = db.prepare('DELETE FROM blob_files WHERE hash = ? AND refcount <= 0');
    this.hasStmt = db.prepare<[Buffer], { one: number }>('SELECT 1 AS one FROM blob_files WHERE hash = ?');
  }

  add(hash: Uint8Array, size: number): void {
    this.addStmt.run(hash, size);
  }

  /** Drops one reference; returns true when none is left (the file may be unlinked after commit). */
  release(hash: Uint8Array): boolean {
    const row = this.decStmt.get(hash);
    if (!row) return false;
    if (row.refcount <= 0) {
      this.dropStmt.run(hash);
      return true;
    }
    return false;
  }

  isReferenced = (hashHex: string): boolean => this.hasStmt.get(Buffer.from(hashHex, 'hex')) !== undefined;
}
