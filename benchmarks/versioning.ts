// Benchmark: the cost and the gains of the per-user Merkle trees (issue 16).
//  1. HTTP PUT 1 KiB (cookie session, 32 connections) on three servers in one run, rounds
//     alternating in order: the homeserver with its trees, the same homeserver with versioning
//     off, and a bare node:http + better-sqlite3 server (one autocommit INSERT per PUT). The load
//     generator is benchmarks/homeserver.ts's, in a child process on the same 2 cores.
//  2. In process, one user's /pub/ tree of --entries keys (default 1,000,000): proof size and
//     the time to make + verify one; the diff of two versions that differ in 100 entries (time,
//     and bytes of the nodes the diff opened on the changed side, as a remote walk would fetch).
//  3. Mirror catch-up at --mirror-entries (default 100,000) with 100 changed files: bytes a tree
//     diff fetches vs the bytes of the full listing the current listing-based catch-up reads.
//   npm run bench -- versioning   or   node --import tsx benchmarks/versioning.ts [--seconds 2] [--rounds 3] [--entries 1000000]
//   [--mirror-entries 100000] [--put-only | --skip-put]
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import {
  bytesToHex,
  compareBytes,
  memorySource,
  mstBuild,
  mstDiff,
  mstIndex,
  mstProve,
  mstPut,
  mstRoot,
  mstVerifyProof,
  utf8Encode,
  type MstNode,
  type NodeSource,
} from '@pubky-ts/common';
import { startBenchHomeserver } from './_bench-homeserver.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const LOAD = fileURLToPath(new URL('./homeserver.ts', import.meta.url));

interface LoadResult {
  requests: number;
  non2xx: Record<string, number>;
  seconds: number;
}

function load(port: number, headers: string, path: string, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const c = fork(LOAD, ['--load'], { execArgv: ['--import', 'tsx'] });
    c.once('message', (r) => resolve(r as LoadResult));
    c.once('error', reject);
    c.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
    c.send({ kind: 'http', port, connections: 32, seconds, mode: 'put', headers, path });
  });
}

function startBare(dir: string): Promise<{ server: Server; port: number; db: Database.Database }> {
  const db = new Database(join(dir, 'bare.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE files (path TEXT PRIMARY KEY, body BLOB NOT NULL)');
  const put = db.prepare('INSERT OR REPLACE INTO files (path, body) VALUES (?, ?)');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      put.run(req.url, Buffer.concat(chunks));
      res.writeHead(201, { 'content-length': 0 });
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, db })),
  );
}

async function putBench(seconds: number, rounds: number): Promise<void> {
  const on = await startBenchHomeserver('hs-vers-on-', undefined, { versioning: true });
  const off = await startBenchHomeserver('hs-vers-off-', undefined, { versioning: false });
  const dir = mkdtempSync(join(tmpdir(), 'hs-vers-bare-'));
  const bare = await startBare(dir);
  const sides = {
    tree: { port: on.port, headers: `pubky-host: ${on.z32}\r\nCookie: ${on.cookie}\r\n`, rps: [] as number[], errors: 0 },
    off: { port: off.port, headers: `pubky-host: ${off.z32}\r\nCookie: ${off.cookie}\r\n`, rps: [] as number[], errors: 0 },
    bare: { port: bare.port, headers: '', rps: [] as number[], errors: 0 },
  };
  const names = Object.keys(sides) as (keyof typeof sides)[];
  try {
    // Warm-up, not counted: the three servers share this process, and the first one loaded would
    // otherwise pay for compiling the code the others then reuse.
    for (const who of names) await load(sides[who].port, sides[who].headers, '/pub/bench/warm/', 1);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const who of order) {
        const s = sides[who];
        const r = await load(s.port, s.headers, `/pub/bench/r${round}/`, seconds);
        s.rps.push(r.requests / r.seconds);
        s.errors += Object.values(r.non2xx).reduce((a, b) => a + b, 0);
      }
    }
  } finally {
    bare.server.close();
    bare.server.closeAllConnections();
    bare.db.close();
    rmSync(dir, { recursive: true, force: true });
    await on.close();
    await off.close();
  }
  const m = (who: keyof typeof sides) => median(sides[who].rps);
  console.log(`PUT 1 KiB, 32 connections, ${rounds} rounds of ${seconds} s each (medians; ratios within this run only)\n`);
  console.log('| server | PUT/s | per-round ratio tree/off | non-2xx |');
  console.log('| --- | --- | --- | --- |');
  const perRound = sides.tree.rps.map((x, i) => (x / sides.off.rps[i]!).toFixed(2)).join(', ');
  for (const who of names) console.log(`| ${who} | ${Math.round(m(who))} | ${who === 'tree' ? perRound : ''} | ${sides[who].errors} |`);
  console.log(`\nwith trees / versioning off: ${(m('tree') / m('off')).toFixed(2)} (target ≥ 0.9)`);
  console.log(`with trees / bare node:http + SQLite: ${(m('tree') / m('bare')).toFixed(2)} (target ≥ 2.0)`);
}

function sortedEntries(n: number, prefix: string) {
  const entries = Array.from({ length: n }, (_, i) => {
    const hash = new Uint8Array(32);
    new DataView(hash.buffer).setUint32(0, i);
    return { key: utf8Encode(`${prefix}${i}`), value: { hash, length: 1000 + (i % 5000) } };
  });
  return entries.sort((a, b) => compareBytes(a.key, b.key));
}

/** A source that counts the bytes of the encoded nodes it hands out (what a remote walk would fetch). */
function counting(tree: MstNode | null): NodeSource & { bytes: number; nodesFetched: number } {
  const index = mstIndex(tree);
  const inner = memorySource(index);
  const s = {
    bytes: 0,
    nodesFetched: 0,
    nodes(hashes: Uint8Array[]) {
      for (const h of hashes) s.bytes += index.get(bytesToHex(h))!.encode().length + 32;
      s.nodesFetched += hashes.length;
      return inner.nodes(hashes);
    },
  };
  return s;
}

async function treeBench(
  n: number,
  label: string,
): Promise<{ tree: MstNode | null; changed: MstNode | null; entries: ReturnType<typeof sortedEntries> }> {
  const t0 = performance.now();
  const entries = sortedEntries(n, '/pub/pubky.app/posts/');
  const tree = mstBuild(entries);
  mstRoot(tree);
  const buildMs = performance.now() - t0;
  let changed = tree;
  for (let i = 0; i < 100; i++) {
    const e = entries[Math.floor((i * 7919 * n) / 100 / 7919) % n]!;
    changed = mstPut(changed, e.key, { hash: new Uint8Array(32).fill(i + 1), length: 1 });
  }
  mstRoot(changed);
  console.log(
    `\n${label}: ${n.toLocaleString('en-US')} entries, built from scratch in ${(buildMs / 1000).toFixed(1)} s, root layer ${tree!.layer}`,
  );
  return { tree, changed, entries };
}

async function proofAndDiff(n: number): Promise<void> {
  const { tree, changed, entries } = await treeBench(n, 'Proofs and diffs');
  const root = mstRoot(tree);
  const sizes: number[] = [];
  const samples = 2000;
  const t0 = performance.now();
  for (let i = 0; i < samples; i++) {
    const key = entries[(i * 104729) % n]!.key;
    const proof = mstProve(tree, key);
    mstVerifyProof(root, key, proof);
    sizes.push(proof.reduce((s, p) => s + p.length, 0));
  }
  const perProofMs = (performance.now() - t0) / samples;
  sizes.sort((a, b) => a - b);
  const changedSource = counting(changed);
  const baseSource = memorySource(mstIndex(tree));
  const t1 = performance.now();
  const changes = await mstDiff({ root, source: baseSource }, { root: mstRoot(changed), source: changedSource });
  const diffMs = performance.now() - t1;
  console.log('\n| figure | value | target |');
  console.log('| --- | --- | --- |');
  console.log(
    `| proof size, median / p99 / max | ${median(sizes)} / ${sizes[Math.floor(samples * 0.99)]} / ${sizes[samples - 1]} B | < 3 KB |`,
  );
  console.log(`| make + verify one proof | ${perProofMs.toFixed(3)} ms | served < 2 ms |`);
  console.log(
    `| diff of two versions differing in ${changes.length} entries | ${diffMs.toFixed(1)} ms (both trees in memory; index building excluded) | < 50 ms |`,
  );
  console.log(
    `| bytes the diff fetched from the changed side | ${changedSource.bytes.toLocaleString('en-US')} B in ${changedSource.nodesFetched} nodes | < 100 KB |`,
  );
}

async function catchUp(n: number): Promise<void> {
  const { tree, changed, entries } = await treeBench(n, 'Mirror catch-up');
  const primary = counting(changed);
  const changes = await mstDiff({ root: mstRoot(tree), source: memorySource(mstIndex(tree)) }, { root: mstRoot(changed), source: primary });
  // The listing-based catch-up reads the primary's whole listing (one path per line).
  const listing = entries.reduce((s, e) => s + e.key.length + 1, 0);
  console.log('\n| catch-up after 100 of ' + n.toLocaleString('en-US') + ' files changed | bytes | ratio to listing |');
  console.log('| --- | --- | --- |');
  console.log(`| full listing (current catch-up) | ${listing.toLocaleString('en-US')} | 1 |`);
  console.log(
    `| tree diff (${changes.length} changes found; nodes fetched incl. 32-byte hash each) | ${primary.bytes.toLocaleString('en-US')} | ${((primary.bytes / listing) * 100).toFixed(2)} % (target < 1 %) |`,
  );
}

if (!process.argv.includes('--skip-put')) await putBench(arg('seconds', 2), arg('rounds', 3));
if (!process.argv.includes('--put-only')) await proofAndDiff(arg('entries', 1_000_000));
if (!process.argv.includes('--put-only')) await catchUp(arg('mirror-entries', 100_000));
