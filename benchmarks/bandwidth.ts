// Benchmark: bandwidth throttling (spec §8.1). A user under `[default_quotas]` rates uploads and
// downloads 8 MiB; the measured transfer time is compared with what the token bucket allows (the
// burst at once, the rest at the rate), and with an unthrottled user's transfer in the same run.
//   npm run bench -- bandwidth      or     node --import tsx benchmarks/bandwidth.ts [--mb-per-s 2] [--mib 8]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AuthToken, Keypair } from '@pubky-ts/common';
import { resolveConfig } from '../packages/homeserver/src/config/load-config.ts';
import { startHomeserver } from '../packages/homeserver/src/server.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const rateMb = arg('mb-per-s', 2);
const mib = arg('mib', 8);
const dir = mkdtempSync(join(tmpdir(), 'hs-bw-'));
const cfg = resolveConfig(join(dir, 'hs'), {
  general: { signup_mode: 'open' },
  drive: { icann_listen_socket: '127.0.0.1:0', rate_limits: [] },
  default_quotas: { rate_read: `${rateMb}mb/s`, rate_write: `${rateMb}mb/s` },
  admin: { listen_socket: '127.0.0.1:0', admin_password: 'admin' },
  logging: { level: 'error' },
});
const hs = await startHomeserver(cfg);
const body = randomBytes(mib * 1024 * 1024);

async function user(unlimited: boolean): Promise<{ z32: string; cookie: string }> {
  const kp = Keypair.random();
  const res = await fetch(`${hs.url}/signup`, { method: 'POST', body: new Uint8Array(AuthToken.sign(kp, '/:rw').serialize()) });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  if (unlimited) {
    await fetch(`${hs.adminUrl}/users/${kp.publicKey.z32}/quota`, {
      method: 'PATCH',
      headers: { 'x-admin-password': 'admin', 'content-type': 'application/json' },
      body: JSON.stringify({ rate_read: 'unlimited', rate_write: 'unlimited' }),
    });
  }
  return { z32: kp.publicKey.z32, cookie };
}

async function transfer(u: { z32: string; cookie: string }): Promise<{ upMs: number; downMs: number }> {
  const headers = { 'pubky-host': u.z32, cookie: u.cookie };
  let t = performance.now();
  const put = await fetch(`${hs.url}/pub/bw.bin`, { method: 'PUT', body, headers });
  if (put.status !== 201) throw new Error(`PUT ${put.status}`);
  const upMs = performance.now() - t;
  t = performance.now();
  const got = Buffer.from(await (await fetch(`${hs.url}/pub/bw.bin`, { headers })).arrayBuffer());
  const downMs = performance.now() - t;
  if (!got.equals(body)) throw new Error('bytes differ');
  return { upMs, downMs };
}

const free = await transfer(await user(true));
const paced = await transfer(await user(false));
await hs.close();
rmSync(dir, { recursive: true, force: true });

// The bucket starts full (burst = the rate's amount), then refills at the rate.
const expectedMs = ((mib - rateMb) / rateMb) * 1000;
const mbps = (ms: number) => (mib / (ms / 1000)).toFixed(2);
console.log(
  `${mib} MiB each way, [default_quotas] rate_read = rate_write = "${rateMb}mb/s" (burst ${rateMb} MiB), Node ${process.version}\n`,
);
console.log('| direction | unthrottled user MiB/s | paced user MiB/s | paced time ms | bucket allows ms | paced ÷ allowed |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, f, p] of [
  ['upload (PUT)', free.upMs, paced.upMs],
  ['download (GET)', free.downMs, paced.downMs],
] as const) {
  console.log(`| ${name} | ${mbps(f)} | ${mbps(p)} | ${p.toFixed(0)} | ${expectedMs.toFixed(0)} | ${(p / expectedMs).toFixed(3)} |`);
}
