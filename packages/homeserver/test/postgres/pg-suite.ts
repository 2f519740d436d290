import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreFactory } from './store-suite.ts';
import { tempPgStore } from './pg-helpers.ts';

/** The shared suite's factory for the PostgreSQL profile, blobs in `blob_chunks` or in a directory. */
export function pgFactory(blobs: 'postgres' | 'dir'): StoreFactory {
  return async (options) => {
    const { store, open, blobDir, cleanup } = await tempPgStore({ ...options, blobDir: blobs === 'dir' });
    const db = store.db;
    const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0].n);
    const files = (sub = '') =>
      blobDir
        ? readdirSync(join(blobDir, sub), { recursive: true })
            .map(String)
            .filter((n) => /[0-9a-f]{64}$/.test(n)).length
        : 0;
    return {
      store,
      probe: {
        async corruptAllowedWritePaths(user, raw) {
          await db.query('UPDATE users SET allowed_write_paths = $1 WHERE public_key = $2', [raw, user]);
        },
        async blobCount() {
          const rows = await count('SELECT count(*) AS n FROM blobs WHERE hash IS NOT NULL');
          if (blobDir) {
            const onDisk = files();
            if (onDisk !== rows) throw new Error(`${onDisk} blob files but ${rows} blob rows`);
            return onDisk;
          }
          const orphanChunks = await count(
            'SELECT count(*) AS n FROM blob_chunks c LEFT JOIN blobs b ON b.id = c.blob_id WHERE b.hash IS NULL',
          );
          if (orphanChunks !== 0) throw new Error(`${orphanChunks} chunks of unfinished or missing blobs`);
          return rows;
        },
        async blobRefs() {
          const refs = (await db.query<{ hash: Buffer; refcount: number }>('SELECT hash, refcount FROM blobs WHERE hash IS NOT NULL')).rows;
          const counts = (
            await db.query<{ hash: Buffer; n: number }>(
              'SELECT content_hash AS hash, count(*) AS n FROM entries WHERE inline_data IS NULL GROUP BY content_hash',
            )
          ).rows;
          return {
            refs: refs.map((r): [string, number] => [r.hash.toString('hex'), r.refcount]).sort(),
            entries: counts.map((c): [string, number] => [c.hash.toString('hex'), Number(c.n)]).sort(),
          };
        },
        async grantSessionHashes() {
          return (await db.query<{ token_hash: Buffer }>('SELECT token_hash FROM grant_sessions')).rows.map((r) => r.token_hash);
        },
        rowCount(table) {
          return count(`SELECT count(*) AS n FROM ${table}`);
        },
        async leftoverUploads() {
          const pending = await count('SELECT count(*) AS n FROM blobs WHERE hash IS NULL');
          const pins = await count('SELECT count(*) AS n FROM blobs WHERE pins > 0');
          const temp = blobDir ? safeCount(join(blobDir, 'tmp')) : 0;
          return pending + pins + temp;
        },
        async eventExists(id) {
          return (await count('SELECT count(*) AS n FROM events WHERE id = $1', [id])) === 1;
        },
      },
      another: () => open(),
      cleanup,
    };
  };
}

function safeCount(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}
