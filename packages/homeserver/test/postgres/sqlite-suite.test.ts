// The shared storage suite against the embedded profile (SQLite + blob files).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openHomeserverStore } from '../../src/storage/open-store.ts';
import { tempStore } from '../storage-helpers.ts';
import type { HomeserverStore } from '../../src/storage/types.ts';
import { conditionSuite } from './condition-suite.ts';
import { rangeSuite } from './range-suite.ts';
import { storeSuite, type StoreFactory } from './store-suite.ts';

const blobFiles = (dataDir: string) =>
  readdirSync(join(dataDir, 'blobs'), { recursive: true })
    .map(String)
    .filter((n) => /[0-9a-f]{64}$/.test(n)).length;

export const sqliteFactory: StoreFactory = async (options) => {
  const { store, dataDir, cleanup } = await tempStore(options);
  const db = store.db;
  const others: HomeserverStore[] = [];
  return {
    store,
    probe: {
      async corruptAllowedWritePaths(user, raw) {
        db.prepare('UPDATE users SET allowed_write_paths = ? WHERE public_key = ?').run(raw, user);
      },
      async blobCount() {
        return blobFiles(dataDir);
      },
      async blobRefs() {
        const refs = db.prepare('SELECT hash, refcount FROM blob_files').all() as { hash: Buffer; refcount: number }[];
        const counts = db
          .prepare('SELECT content_hash AS hash, COUNT(*) AS n FROM entries WHERE inline_data IS NULL GROUP BY content_hash')
          .all() as { hash: Buffer; n: number }[];
        return {
          refs: refs.map((r): [string, number] => [r.hash.toString('hex'), r.refcount]).sort(),
          entries: counts.map((c): [string, number] => [c.hash.toString('hex'), c.n]).sort(),
        };
      },
      async grantSessionHashes() {
        return (db.prepare('SELECT token_hash FROM grant_sessions').all() as { token_hash: Buffer }[]).map((r) => r.token_hash);
      },
      async rowCount(table) {
        return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      },
      async leftoverUploads() {
        return readdirSync(join(dataDir, 'blobs', 'tmp')).length;
      },
      eventExists(id) {
        return Promise.resolve(db.prepare('SELECT 1 FROM events WHERE id = ?').get(id) !== undefined);
      },
    },
    async another() {
      const s = await openHomeserverStore({ dataDir });
      others.push(s);
      return s;
    },
    async cleanup() {
      for (const s of others) await s.close();
      await cleanup();
    },
  };
};

storeSuite('sqlite', sqliteFactory);
rangeSuite('sqlite', sqliteFactory);
conditionSuite('sqlite', sqliteFactory);
