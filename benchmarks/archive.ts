// Benchmark: account archives on a local testnet (random ports, in this process). Two trees:
// 1,000 files of 1 KiB and 2 files of 20 MiB. For each, in alternating rounds:
//
//   baseline: sequential GETs    session.storage.getBytes of every file, one after the other
//   baseline: sequential PUTs    session.storage.put of every file, one after the other (import's
//                                fair comparison: it writes)
//   export                       exportArchive to a file on disk (list, HEAD each, sign, GET each)
//   import                       importArchive from that file (openAsBlob) into the same user's
//                                empty account on a second homeserver (verify all, PUT, HEAD each)
//
// Figures: median wall time over the rounds, files/s and MB/s (content bytes), and the time as a
// multiple of the sequential-GET baseline of the same tree measured in the same run.
//   npm run bench -- archive      or      node --import tsx benchmarks/archive.ts [--rounds 3]
import { createWriteStream, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exportArchive, importArchive, Keypair, Pubky, type Session } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet } from '@pubky-ts/testnet';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}
const rounds = arg('rounds', 3);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function content(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function clear(session: Session): Promise<void> {
  for (const root of ['/pub/', '/priv/']) {
    const paths: string[] = [];
    try {
      for await (const url of session.storage.listAll(root, { limit: 1000 }))
        paths.push(url.slice(`pubky://${session.publicKey.z32}`.length));
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
    for (let i = 0; i < paths.length; i += 16) await Promise.all(paths.slice(i, i + 16).map((p) => session.storage.delete(p)));
  }
}

const net = await startTestnet({ logLevel: 'silent', signupMode: 'open', dhtNodes: 2 });
const second = await startExtraHomeserver(net, { logLevel: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'bench-archive-'));
try {
  const pubky = new Pubky({ relays: [net.pkarrRelay.url], testnet: { host: 'localhost' } });
  const trees = [
    {
      name: '1,000 × 1 KiB',
      files: Array.from({ length: 1000 }, (_, i) => ({
        path: `/pub/bench/small/${String(i).padStart(4, '0')}.bin`,
        bytes: content(1024, i + 1),
      })),
    },
    {
      name: '2 × 20 MiB',
      files: Array.from({ length: 2 }, (_, i) => ({ path: `/pub/bench/large/${i}.bin`, bytes: content(20 * 1024 * 1024, i + 7) })),
    },
  ];
  const rows: string[] = [];
  for (const tree of trees) {
    const keypair = Keypair.random();
    const source = await pubky.signer(keypair).signup(net.homeserver.publicKey);
    for (let i = 0; i < tree.files.length; i += 16)
      await Promise.all(tree.files.slice(i, i + 16).map((f) => source.storage.put(f.path, f.bytes)));
    const target = await pubky.signer(keypair).signup(second.publicKey);
    // A scratch account for the PUT baseline (same homeserver as the import's target).
    const scratch = await pubky.signer(Keypair.random()).signup(second.publicKey);
    const bytes = tree.files.reduce((n, f) => n + f.bytes.length, 0);
    const file = join(dir, 'archive.tar');
    const times: Record<string, number[]> = { get: [], put: [], export: [], import: [] };
    for (let r = 0; r < rounds + 1; r++) {
      const warm = r === 0;
      let t = performance.now();
      for (const f of tree.files) await source.storage.getBytes(f.path);
      if (!warm) times.get.push(performance.now() - t);

      rmSync(file, { force: true });
      t = performance.now();
      const ex = await exportArchive(source, keypair, Writable.toWeb(createWriteStream(file)) as WritableStream<Uint8Array>);
      if (!warm) times.export.push(performance.now() - t);
      if (ex.files !== tree.files.length) throw new Error(`exported ${ex.files} files, not ${tree.files.length}`);

      await clear(scratch);
      t = performance.now();
      for (const f of tree.files) await scratch.storage.put(f.path, f.bytes);
      if (!warm) times.put.push(performance.now() - t);

      await clear(target);
      t = performance.now();
      const im = await importArchive(target, await openAsBlob(file));
      if (!warm) times.import.push(performance.now() - t);
      if (im.written !== tree.files.length) throw new Error(`imported ${im.written} files, not ${tree.files.length}`);
    }
    const base = median(times.get);
    const row = (label: string, ms: number) => {
      const s = ms / 1000;
      return `| ${tree.name} | ${label} | ${s.toFixed(2)} | ${(tree.files.length / s).toFixed(0)} | ${(bytes / 1e6 / s).toFixed(1)} | ${(ms / base).toFixed(2)} |`;
    };
    rows.push(row('baseline: sequential GETs', base));
    rows.push(row('baseline: sequential PUTs', median(times.put)));
    rows.push(row('export (to a file)', median(times.export)));
    rows.push(row('import (from the file)', median(times.import)));
  }
  console.log(
    `Archives on a local testnet (loopback, two homeservers), median of ${rounds} rounds after a warm-up round, operations alternating.\n`,
  );
  console.log('| tree | operation | s | files/s | MB/s | time × GET baseline |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await second.close();
  await net.close();
}
