// Benchmark: reading as the network fragments (issue 20). 1,000 users spread over 50 homeservers of
// one testnet each hold one small public file; a client reads every file once with a cold resolver (a
// new Pubky: each user's packet and each homeserver's packet come from the pkarr relay), then again
// with the same client (warm: packets cached, connections open). The cold pass is bounded by parallel
// resolution and connection reuse, not by sequential lookups, when cold total < 5x warm total. A third
// line reads with a new client one file at a time (what 1,000 sequential lookups cost), for scale.
//   npm run bench -- fragmentation   or   node --import tsx benchmarks/fragmentation.ts [--users 1000] [--homeservers 50] [--concurrency 32]
import { Keypair } from '@pubky-ts/common';
import { Pubky } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver } from '@pubky-ts/testnet';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

const users = arg('users', 1000);
const homeservers = arg('homeservers', 50);
const concurrency = arg('concurrency', 32);

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1];
}

const client = () => new Pubky({ relays: [net.pkarrRelay.url], testnet: { host: 'localhost' } });

const net = await startTestnet({ logLevel: 'silent', signupMode: 'open' });
const extra: ExtraHomeserver[] = [];
try {
  const setupStart = performance.now();
  for (let i = 1; i < homeservers; i++) extra.push(await startExtraHomeserver(net, { logLevel: 'silent' }));
  const servers = [net.homeserver.publicKey, ...extra.map((h) => h.publicKey)];
  const writer = client();
  const urls: string[] = [];
  await pool(
    Array.from({ length: users }, (_, i) => i),
    8,
    async (i) => {
      // set-up is not what is measured: a sign-up that meets a DHT time-out (50 homeservers' DHT nodes
      // share this process) is tried again
      for (let attempt = 1; ; attempt++) {
        try {
          const kp = Keypair.random();
          const session = await writer.signer(kp).signup(servers[i % servers.length]);
          await session.storage.putText('/pub/bench/hello.txt', `hello from user ${i}`);
          urls.push(`pubky://${kp.publicKey.z32}/pub/bench/hello.txt`);
          return;
        } catch (e) {
          if (attempt === 5) throw e;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    },
  );
  const setupS = (performance.now() - setupStart) / 1000;

  const pass = async (reader: Pubky, width: number) => {
    const times: number[] = [];
    let wrong = 0;
    const start = performance.now();
    await pool(urls, width, async (url) => {
      const t = performance.now();
      const text = await reader.publicStorage.getText(url);
      times.push(performance.now() - t);
      if (!text.startsWith('hello from user')) wrong++;
    });
    if (wrong) throw new Error(`${wrong} reads returned other bytes`);
    return { totalMs: performance.now() - start, sorted: times.sort((a, b) => a - b) };
  };
  const reader = client();
  const cold = await pass(reader, concurrency);
  const warm = await pass(reader, concurrency);
  const sequential = await pass(client(), 1);

  console.log(
    `${users} users on ${homeservers} homeservers (one testnet, one pkarr relay, loopback), one small file each, ${concurrency} reads in flight; set-up ${setupS.toFixed(1)} s; Node ${process.version}\n`,
  );
  console.log('| pass | total ms | reads/s | p50 ms | p99 ms | total vs warm |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const rows = [
    ['cold resolver (new client)', cold],
    ['warm (same client again)', warm],
    ['cold, one read at a time', sequential],
  ] as const;
  for (const [name, r] of rows) {
    console.log(
      `| ${name} | ${r.totalMs.toFixed(0)} | ${((users / r.totalMs) * 1000).toFixed(0)} | ${quantile(r.sorted, 0.5).toFixed(2)} | ${quantile(r.sorted, 0.99).toFixed(2)} | ${(r.totalMs / warm.totalMs).toFixed(2)}x |`,
    );
  }
  console.log(`\ncold total / warm total = ${(cold.totalMs / warm.totalMs).toFixed(2)} (goal < 5)`);
} finally {
  for (const h of extra) await h.close();
  await net.close();
}
