import type { PoolClient } from 'pg';
import { advisoryKey, quoteIdent, type PgDatabase } from './database.ts';

export interface PgMigration {
  /** Strictly increasing, starting at 1. */
  id: number;
  /** Unique; recorded in `migrations.name`. */
  name: string;
  /** Runs inside the migration's transaction. */
  up(client: PoolClient): Promise<void>;
}

/**
 * Brings the schema up to date. Several processes may start together: the whole run holds a
 * session-level `pg_advisory_lock` (keyed by schema), each migration runs in its own transaction and
 * is recorded in `migrations(id, name, created_at)` (the reference's table shape). A database with
 * migrations this code does not know is refused. Returns the names applied.
 */
export async function runPgMigrations(db: PgDatabase, migrations: PgMigration[]): Promise<string[]> {
  const sorted = [...migrations].sort((a, b) => a.id - b.id);
  sorted.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`migration ids must be 1..n without gaps, found ${m.id}`);
  });
  const key = advisoryKey(`pubky-homeserver:migrations:${db.schema ?? ''}`);
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      if (db.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(db.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS migrations (
        id serial PRIMARY KEY,
        name varchar NOT NULL UNIQUE,
        created_at timestamp DEFAULT (now() AT TIME ZONE 'utc')
      )`);
      const done = new Set((await client.query<{ name: string }>('SELECT name FROM migrations')).rows.map((r) => r.name));
      const applied: string[] = [];
      for (const m of sorted) {
        if (done.has(m.name)) continue;
        await client.query('BEGIN');
        try {
          await m.up(client);
          await client.query('INSERT INTO migrations (name) VALUES ($1)', [m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        applied.push(m.name);
      }
      const known = new Set(sorted.map((m) => m.name));
      const unknown = [...done].filter((n) => !known.has(n));
      if (unknown.length > 0) {
        throw new Error(
          `database has migrations this code does not know (${unknown.join(', ')}); upgrade the homeserver or use another schema`,
        );
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
