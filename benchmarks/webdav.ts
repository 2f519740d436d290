// Benchmark: WebDAV for users against the client API, each figure against a baseline measured in
// the same run, on one in-process homeserver (SQLite profile).
//
//   tree      Debian's rclone copies a tree (N files of 4 KiB and M of 10 MiB) to the user's WebDAV
//             mount with an app password, and back, against the same files PUT and GET through
//             the client API (plain fetch with the session cookie: the requests the SDK sends,
//             at rclone's 4 transfers at a time). Goal: WebDAV ≥ 0.8× the API.
//   range     a 1 MiB ranged GET in the middle of a large file against a GET of a 1 MiB file
//             (median of R each, interleaved). Goal: < 2×.
//
//   npm run bench -- webdav
//   node --import tsx benchmarks/webdav.ts [--small 1000] [--large 10] [--big-mib 96] [--rounds 20] [--only tree|range]
//   (the 1 GiB file needs drive.max_file_bytes raised above its 100 MiB default)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Keypair, base64urlEncode } from '@pubky-ts/common';
import { startBenchHomeserver } from './_bench-homeserver.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const SMALL = arg('small', 1000);
const LARGE = arg('large', 10);
// The default file limit (drive.max_file_bytes) is 100 MiB: the big file stays under it.
const BIG_MIB = arg('big-mib', 96);
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const ROUNDS = arg('rounds', 20);
const TRANSFERS = 4;

const b = await startBenchHomeserver('bench-webdav-');
try {
  const { hs, z32, cookie, dir } = b;
  // An app password, made directly in the store (what `pubky dav-password` makes through the grant API).
  const client = Keypair.random();
  const now = Math.floor(Date.now() / 1000);
  const grant = await hs.store.grants.upsert({
    id: 'benchgrant',
    user: z32,
    clientId: 'pubky.dav',
    clientCnfKey: client.publicKey.z32,
    capabilities: '/:rw',
    issuedAt: now,
    expiresAt: now + 3600,
  });
  const password = `${grant.id}.${base64urlEncode(client.secretKey)}`;
  const rcloneEnv = { ...process.env, RCLONE_CONFIG: join(dir, 'rclone.conf'), HOME: dir };
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('rclone', args, { stdio: ['ignore', 'ignore', 'pipe'], env: rcloneEnv });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rclone ${args[0]} exited ${code}: ${err.slice(-500)}`))));
    });
  const obscured = await new Promise<string>((resolve) => {
    const c = spawn('rclone', ['obscure', password], { env: rcloneEnv });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', () => resolve(out.trim()));
  });
  const remote = [
    '--webdav-url',
    `${hs.url}/dav/`,
    '--webdav-user',
    z32,
    '--webdav-pass',
    obscured,
    '--webdav-vendor',
    'other',
    '--transfers',
    String(TRANSFERS),
    '--checkers',
    String(TRANSFERS),
  ];

  const api = (path: string) => `${hs.url}/pub/${path}`;
  const headers = { 'pubky-host': z32, cookie };
  const time = async (fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    return (performance.now() - t) / 1000;
  };

  if (ONLY !== 'range') {
    // The tree.
    const src = join(dir, 'src');
    mkdirSync(join(src, 'small'), { recursive: true });
    mkdirSync(join(src, 'large'), { recursive: true });
    const files: { rel: string; bytes: Buffer }[] = [];
    for (let i = 0; i < SMALL; i++) files.push({ rel: `small/f${i}.bin`, bytes: Buffer.alloc(4096, i & 0xff) });
    for (let i = 0; i < LARGE; i++) files.push({ rel: `large/f${i}.bin`, bytes: Buffer.alloc(10 * 1024 * 1024, i + 1) });
    for (const f of files) writeFileSync(join(src, f.rel), f.bytes);
    const totalMiB = files.reduce((n, f) => n + f.bytes.length, 0) / 1048576;

    const pool = async <T>(items: T[], fn: (t: T) => Promise<void>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: TRANSFERS }, async () => {
          while (next < items.length) await fn(items[next++]!);
        }),
      );
    };

    // Interleaved: API up, WebDAV up, API down, WebDAV down (then the same once more, best of two).
    const results = { apiUp: [] as number[], davUp: [] as number[], apiDown: [] as number[], davDown: [] as number[] };
    for (let round = 0; round < 2; round++) {
      results.apiUp.push(
        await time(() =>
          pool(files, async (f) => {
            const r = await fetch(api(`api${round}/${f.rel}`), { method: 'PUT', body: new Uint8Array(f.bytes), headers });
            if (r.status !== 201) throw new Error(`PUT ${r.status}`);
            await r.arrayBuffer();
          }),
        ),
      );
      results.davUp.push(await time(() => run(['copy', src, `:webdav:pub/dav${round}`, ...remote])));
      results.apiDown.push(
        await time(() =>
          pool(files, async (f) => {
            const r = await fetch(api(`api${round}/${f.rel}`), { headers: { 'pubky-host': z32 } });
            if (r.status !== 200 || (await r.arrayBuffer()).byteLength !== f.bytes.length) throw new Error(`GET ${r.status}`);
          }),
        ),
      );
      const back = join(dir, `back${round}`);
      results.davDown.push(await time(() => run(['copy', `:webdav:pub/dav${round}`, back, ...remote])));
      const got = (await readdir(join(back, 'small'))).length + (await readdir(join(back, 'large'))).length;
      if (got !== files.length || !readFileSync(join(back, 'large', 'f0.bin')).equals(files[SMALL]!.bytes))
        throw new Error('rclone did not bring the tree back');
    }
    const best = (xs: number[]) => Math.min(...xs);
    console.log(
      `tree: ${SMALL} × 4 KiB + ${LARGE} × 10 MiB (${totalMiB.toFixed(1)} MiB), ${TRANSFERS} at a time, best of 2 (seconds; ratio = API time / WebDAV time, ≥ 0.8 is the goal)`,
    );
    console.log('| direction | client API (fetch) | WebDAV (rclone) | ratio |');
    console.log('| --- | ---: | ---: | ---: |');
    console.log(
      `| up | ${best(results.apiUp).toFixed(2)} | ${best(results.davUp).toFixed(2)} | ${(best(results.apiUp) / best(results.davUp)).toFixed(2)} |`,
    );
    console.log(
      `| down | ${best(results.apiDown).toFixed(2)} | ${best(results.davDown).toFixed(2)} | ${(best(results.apiDown) / best(results.davDown)).toFixed(2)} |`,
    );
  }

  if (ONLY !== 'tree') {
    // Range: a big file streamed up in 1 MiB pieces, and a 1 MiB file.
    const MiB = 1024 * 1024;
    const piece = Buffer.alloc(MiB, 7);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < BIG_MIB) c.enqueue(piece);
        else c.close();
      },
    });
    const up = await fetch(api('big.bin'), { method: 'PUT', body, headers, duplex: 'half' } as RequestInit);
    if (up.status !== 201) throw new Error(`big PUT ${up.status}: ${await up.text()}`);
    await fetch(api('one-mib.bin'), { method: 'PUT', body: new Uint8Array(piece), headers }).then((r) => r.arrayBuffer());
    const mid = Math.floor(BIG_MIB / 2) * MiB + 12345;
    const ranged: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      whole.push(
        await time(async () => {
          const r = await fetch(api('one-mib.bin'), { headers: { 'pubky-host': z32 } });
          if ((await r.arrayBuffer()).byteLength !== MiB) throw new Error('short GET');
        }),
      );
      ranged.push(
        await time(async () => {
          const r = await fetch(api('big.bin'), { headers: { 'pubky-host': z32, range: `bytes=${mid}-${mid + MiB - 1}` } });
          if (r.status !== 206 || (await r.arrayBuffer()).byteLength !== MiB) throw new Error(`ranged GET ${r.status}`);
        }),
      );
    }
    console.log(`\nrange: 1 MiB at offset ${mid} of a ${BIG_MIB} MiB file vs a 1 MiB file, median of ${ROUNDS} (ms; goal < 2×)`);
    console.log('| 1 MiB file GET | 1 MiB range of the big file | ratio |');
    console.log('| ---: | ---: | ---: |');
    console.log(
      `| ${(median(whole) * 1000).toFixed(2)} | ${(median(ranged) * 1000).toFixed(2)} | ${(median(ranged) / median(whole)).toFixed(2)}× |`,
    );
  }
} finally {
  await b.close();
}
