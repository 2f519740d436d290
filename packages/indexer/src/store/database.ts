import Database from 'better-sqlite3';
import { SCHEMA } from './schema.ts';

export type Db = Database.Database;

/** Opens (creating) the index: WAL, NORMAL sync (a crash can lose the last commits, never half of one). */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}
