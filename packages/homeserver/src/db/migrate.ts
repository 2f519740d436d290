import type { Database } from 'better-sqlite3';

export interface Migration {
  /** Strictly increasing, starting at 1. */
  id: number;
  name: string;
  up(db: Database): void;
}

/**
 * Applies the migrations not yet recorded in `migrations`, each in its own IMMEDIATE transaction so
 * several processes opening the same file at once apply each migration exactly once.
 * Returns the names applied.
 */
export function runMigrations(db: Database, migrations: Migration[]): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    applied_at INTEGER NOT NULL
  )`);
  const sorted = [...migrations].sort((a, b) => a.id - b.id);
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].id !== i + 1) throw new Error(`migration ids must be 1..n without gaps, found ${sorted[i].id}`);
  }
  const has = db.prepare<[number], { id: number }>('SELECT id FROM migrations WHERE id = ?');
  const record = db.prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const applied: string[] = [];
  for (const m of sorted) {
    if (has.get(m.id)) continue;
    const apply = db.transaction(() => {
      if (has.get(m.id)) return false; // another process won the race
      m.up(db);
      record.run(m.id, m.name, Date.now() * 1000);
      return true;
    });
    if (apply.immediate()) applied.push(m.name);
  }
  const known = new Set(sorted.map((m) => m.id));
  const newer = db
    .prepare<[], { id: number; name: string }>('SELECT id, name FROM migrations ORDER BY id')
    .all()
    .filter((r) => !known.has(r.id));
  if (newer.length > 0) {
    throw new Error(`database has migrations this code does not know (${newer.map((r) => r.name).join(', ')}); upgrade the homeserver`);
  }
  return applied;
}
