import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake3, bytesToHex, mstRoot } from '@pubky-ts/common';
import { crashContent } from './crash-child.ts';
import { openHomeserverStore } from '../src/storage/open-store.ts';
import { collect, randomUserKey } from './storage-helpers.ts';

const CHILD = new URL('./crash-child.ts', import.meta.url).pathname;

/** Runs the writer child until it has acknowledged `acks` writes, then SIGKILLs it. */
function runAndKill(dataDir: string, user: string, durability: string, acks: number): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, user, durability], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Set<number>();
    let buf = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child too slow; acked ${acked.size}; stderr: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('ACK ')) acked.add(Number(line.slice(4)));
      }
      if (!killed && acked.size >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve(acked);
    });
  });
}

for (const durability of ['normal', 'fsync']) {
  test(`SIGKILL during concurrent writes loses no acknowledged write and exposes no partial file (${durability})`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hs-crash-'));
    const user = randomUserKey();
    try {
      const first = await runAndKill(dataDir, user, durability, 120);
      // A second crash on top of the recovered state, to exercise recovery twice.
      const second = await runAndKill(dataDir, user, durability, 60);
      const store = await openHomeserverStore({ dataDir, versioning: true });
      try {
        assert.deepEqual(readdirSync(join(dataDir, 'blobs', 'tmp')), [], 'temp files cleaned at start-up');
        const paths = new Set<string>();
        let cursor: string | null = null;
        for (;;) {
          const page: string[] = (await store.files.list(user, '/pub/crash/', { limit: 1000, cursor }))!;
          if (page.length === 0) break;
          for (const p of page) paths.add(p);
          cursor = page[page.length - 1];
        }
        // The second run restarts numbering at 0, overwriting the same paths with the same bytes.
        for (const n of [...first, ...second]) assert.ok(paths.has(`/pub/crash/${n}`), `acked write ${n} is present`);
        let usage = 0;
        for (const p of paths) {
          const n = Number(p.slice('/pub/crash/'.length));
          const got = await store.files.get(user, p);
          assert.ok(got, p);
          const bytes = await collect(got.body);
          const expected = crashContent(n);
          assert.equal(bytes.length, expected.length, `${p} length`);
          assert.ok(bytes.equals(expected), `${p} bytes`);
          assert.equal(bytesToHex(got.entry.contentHash), bytesToHex(await blake3(expected)), `${p} hash`);
          usage += expected.length + 256;
        }
        assert.equal((await store.users.get(user))!.usedBytes, usage, 'usage matches the entries exactly');
        // The tree's latest version, recorded in the entries' transactions, is the root of the
        // entries as they survived: rebuilt from scratch, they give the same root.
        const userId = (store.db.prepare('SELECT id FROM users WHERE public_key = ?').get(user) as { id: number }).id;
        const trees = store.writer.trees!;
        const latest = trees.latestVersion(userId, 0);
        assert.ok(latest && latest.version > 0, 'versions were recorded');
        assert.equal(
          bytesToHex(latest.root),
          bytesToHex(mstRoot(trees.load(userId, 0, latest.version).tree)),
          'latest root = root rebuilt from the entries',
        );
        const events = await store.events.read({ limit: 1000 });
        assert.ok(events.length >= paths.size);
        // Every blob file left is referenced (orphans from the crash were swept).
        const blobNames = readdirSync(join(dataDir, 'blobs'), { recursive: true })
          .map(String)
          .filter((f) => /[0-9a-f]{64}$/.test(f));
        const referenced = store.db.prepare('SELECT COUNT(*) AS n FROM blob_files').get() as { n: number };
        assert.equal(blobNames.length, referenced.n);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
