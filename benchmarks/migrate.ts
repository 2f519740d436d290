// Benchmark: moving an account between two homeservers of a local testnet (random ports, this
// process), for 10,000 files of 1 KiB and for 10 files of 100 MiB.
//
//   baseline     a naive copy with the same SDK and concurrency: list, GET each file from the old
//                homeserver, PUT it to the new one; no hashing, no HEADs, no comparison
//   migrate      signer.migrate(): read both trees (listing + HEAD per file), copy with BLAKE3 checks
//                on the way and a HEAD after each write, read both trees again and compare, switch
//                the _pubky record
//
// Both run into fresh accounts on the same target homeserver, alternating which goes first per
// round. Figures: files/s and MB/s (MB = 10^6 bytes) of the whole operation, and the ratio to the
// baseline of the same round.
//   npm run bench -- migrate      or      node --import tsx benchmarks/migrate.ts [--rounds 2] [--big-mib 100]
import { Keypair, Pubky, readTree, type Session } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet } from '@pubky-ts/testnet';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

const rounds = arg('rounds', 2);
const bigMiB = arg('big-mib', 100);
const CONCURRENCY = 8;

const net = await startTestnet({ logLevel: 'silent', signupMode: 'open', dhtNodes: 2 });
const oldHs = await startExtraHomeserver(net, { logLevel: 'silent' });
const newHs = await startExtraHomeserver(net, { logLevel: 'silent' });
const pubky = new Pubky({ relays: [net.pkarrRelay.url], testnet: { host: 'localhost' } });

async function pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function* chunks(total: number, seed: number): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024);
  for (let sent = 0; sent < total; sent += chunk.length) {
    chunk.fill((seed + sent / chunk.length) & 0xff);
    yield chunk.slice(0, Math.min(chunk.length, total - sent));
  }
}

/** A fresh user on the old homeserver holding `files` (path → size). */
async function seed(files: Array<[string, number]>): Promise<{ keypair: Keypair; session: Session }> {
  const keypair = Keypair.random();
  const session = await pubky.signer(keypair).signup(oldHs.publicKey);
  await pool(files, async ([path, size]) => {
    if (size <= 64 * 1024) {
      const body = new Uint8Array(size).fill(path.length & 0xff);
      await session.storage.put(path, body, { contentType: 'application/octet-stream' });
    } else {
      await session.storage.put(path, chunks(size, path.length), { contentType: 'application/octet-stream' });
    }
  });
  return { keypair, session };
}

async function naiveCopy(keypair: Keypair, from: Session): Promise<void> {
  const to = await pubky.signer(keypair).signup(newHs.publicKey, null, { publish: false });
  const tree = await readTree(from, { concurrency: CONCURRENCY }); // the listing the copy needs
  await pool([...tree.keys()], async (path) => {
    await to.storage.put(path, await from.storage.getStream(path), { contentType: 'application/octet-stream' });
  });
}

interface Row {
  name: string;
  files: number;
  bytes: number;
  baselineMs: number[];
  migrateMs: number[];
}

async function measure(name: string, files: Array<[string, number]>): Promise<Row> {
  const bytes = files.reduce((n, [, s]) => n + s, 0);
  const row: Row = { name, files: files.length, bytes, baselineMs: [], migrateMs: [] };
  for (let r = 0; r < rounds; r++) {
    const a = await seed(files);
    const b = await seed(files);
    const runBaseline = async () => {
      const t = performance.now();
      await naiveCopy(a.keypair, a.session);
      row.baselineMs.push(performance.now() - t);
    };
    const runMigrate = async () => {
      const t = performance.now();
      const report = await pubky.signer(b.keypair).migrate({ to: newHs.publicKey, concurrency: CONCURRENCY });
      row.migrateMs.push(performance.now() - t);
      if (report.files !== files.length || report.copied !== files.length)
        throw new Error(`migrate moved ${report.copied}/${report.files}`);
    };
    if (r % 2 === 0) {
      await runBaseline();
      await runMigrate();
    } else {
      await runMigrate();
      await runBaseline();
    }
    // Free the disk for the next round.
    for (const kp of [a.keypair, b.keypair]) {
      for (const hs of [oldHs, newHs]) {
        await fetch(`${hs.adminUrl}/users/${kp.publicKey.z32}`, {
          method: 'DELETE',
          headers: { 'X-Admin-Password': net.adminPassword },
        }).then((res) => res.body?.cancel());
      }
    }
  }
  return row;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

try {
  const small = Array.from({ length: 10_000 }, (_, i): [string, number] => [`/pub/bench/${i % 100}/${i}.bin`, 1024]);
  const big = Array.from({ length: 10 }, (_, i): [string, number] => [`/pub/big/${i}.bin`, bigMiB * 1024 * 1024]);
  const rows = [await measure('10,000 × 1 KiB', small), await measure(`10 × ${bigMiB} MiB`, big)];
  console.log(
    `two homeservers on one testnet (loopback, SQLite profile), concurrency ${CONCURRENCY}, ${rounds} rounds, medians, Node ${process.version}\n`,
  );
  console.log('| account | naive copy files/s | naive MB/s | migrate files/s | migrate MB/s | × naive copy (per-round) |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const row of rows) {
    const b = median(row.baselineMs) / 1000;
    const m = median(row.migrateMs) / 1000;
    const ratios = row.migrateMs.map((ms, i) => (row.baselineMs[i] / ms).toFixed(2)).join(', ');
    const rate = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(2));
    console.log(
      `| ${row.name} | ${rate(row.files / b)} | ${(row.bytes / 1e6 / b).toFixed(1)} | ${rate(row.files / m)} | ${(row.bytes / 1e6 / m).toFixed(1)} | ${(b / m).toFixed(2)} (${ratios}) |`,
    );
  }
} finally {
  await newHs.close();
  await oldHs.close();
  await net.close();
}
