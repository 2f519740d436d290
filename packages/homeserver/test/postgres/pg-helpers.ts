import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore, type PostgresHomeserverStore, type PostgresStoreOptions } from '../../src/storage/postgres/open-store.ts';

/** The test cluster (DEVELOPERS.md): trust auth on 127.0.0.1:5432, database `test`. */
export const TEST_DATABASE_URL = process.env.PUBKY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let checked: Promise<void> | null = null;

/**
 * Fails (never skips) with a clear message when PostgreSQL is not reachable: the scale-out profile is
 * part of what the suite tests.
 */
export function requirePostgres(): Promise<void> {
  checked ??= (async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
    } catch (err) {
      throw new Error(
        `PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${(err as Error).message}). The Postgres tests need it: ` +
          'start the cluster with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` ' +
          '(.ci/run does this) or set PUBKY_TEST_DATABASE_URL.',
      );
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return checked;
}

/** Runs one statement on a fresh connection outside any test schema (admin work: DROP SCHEMA, kills). */
export async function adminQuery<R extends pg.QueryResultRow = any>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await c.query<R>(sql, params as any[]);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function randomSchema(): string {
  return `t_${randomBytes(8).toString('hex')}`;
}

export type PgTestOptions = Partial<Omit<PostgresStoreOptions, 'schema'>>;

/**
 * A store on a fresh random schema. `open()` opens another instance on the same schema (as another
 * process would); `cleanup` closes them all and drops the schema (and the blob dir).
 */
export async function tempPgStore(options: PgTestOptions & { blobDir?: boolean } = {}) {
  await requirePostgres();
  const schema = randomSchema();
  const dir = options.blobDir ? mkdtempSync(join(tmpdir(), 'hs-pg-blobs-')) : null;
  const opened: PostgresHomeserverStore[] = [];
  const open = async (extra: PgTestOptions = {}) => {
    const s = await openPostgresStore({
      databaseUrl: TEST_DATABASE_URL,
      schema,
      blobs: dir ? { dir } : 'postgres',
      pollIntervalMs: 1000,
      listenerBackoffMs: { min: 50, max: 500 },
      maxConnections: 5,
      ...options,
      ...extra,
    });
    opened.push(s);
    return s;
  };
  const store = await open();
  return {
    store,
    schema,
    blobDir: dir,
    open,
    async cleanup() {
      for (const s of opened) await s.close();
      await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
