// Benchmark: mirror lag (issue 6). A user on the testnet's homeserver (the primary) is mirrored by
// an extra homeserver on the same machine. For each write, one at a time, three times are taken
// from the moment the PUT is issued:
//
//   baseline   the primary's own live /events-stream delivers the write's event (local delivery)
//   ack        the primary acknowledges the PUT (201)
//   mirror     the mirror's live /events-stream delivers the event of its copy (the mirror fetched
//              the file, checked its BLAKE3 and committed it: it is readable there)
//
// and "lag after ack" = mirror − ack, the figure the contract calls mirror lag. p50/p99 over N
// writes, as ratios to the baseline of the same writes.
//   npm run bench -- mirror      or      node --import tsx benchmarks/mirror.ts [--writes 300] [--size 1024]
import { Keypair } from '@pubky-ts/common';
import { Pubky, SseParser, createGrant } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet } from '@pubky-ts/testnet';
import { cookieSession, mirrorCall, waitForMirror } from '../packages/e2e/test/mirror-helpers.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

function quantile(sorted: number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

const writes = arg('writes', 300);
const size = arg('size', 1024);
const warmup = 20;

/** Follows a live /events-stream and resolves waiters by path. */
function follow(baseUrl: string, user: string, signal: AbortSignal) {
  const waiters = new Map<string, (t: number) => void>();
  const seen = new Map<string, number>();
  void (async () => {
    const res = await fetch(`${baseUrl}/events-stream?user=${user}&live=true&path=/pub/`, { headers: { 'pubky-host': user }, signal });
    const parser = new SseParser();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const now = performance.now();
        for (const msg of parser.push(chunk)) {
          const path = msg.data.split('\n')[0].slice(`pubky://${user}`.length);
          const w = waiters.get(path);
          if (w) {
            waiters.delete(path);
            w(now);
          } else seen.set(path, now);
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  return (path: string): Promise<number> => {
    const t = seen.get(path);
    if (t !== undefined) {
      seen.delete(path);
      return Promise.resolve(t);
    }
    return new Promise((resolve) => waiters.set(path, resolve));
  };
}

const net = await startTestnet({ logLevel: 'silent', signupMode: 'open', dhtNodes: 2 });
const mirrorKey = Keypair.random();
const mirror = await startExtraHomeserver(net, { keypair: mirrorKey, logLevel: 'silent' });
const abort = new AbortController();
try {
  const pubky = new Pubky({ relays: [net.pkarrRelay.url], testnet: { host: 'localhost' } });
  const kp = Keypair.random();
  const user = kp.publicKey.z32;
  const session = await pubky.signer(kp).signup(net.homeserver.publicKey, null);
  const cookie = await cookieSession(mirror.url, kp);
  const grant = createGrant(kp, { clientId: 'pubky-mirror', clientKey: mirrorKey.publicKey, capabilities: '/:r' });
  const put = await mirrorCall(mirror.url, 'PUT', user, cookie, JSON.stringify({ primary: net.homeserver.publicKey.z32, grant }));
  if (put.status !== 200) throw new Error(`PUT /mirror: ${put.status} ${put.text}`);
  await waitForMirror(mirror.url, user, cookie, (s) => s.state === 'live');

  const onPrimary = follow(net.homeserver.url, user, abort.signal);
  const onMirror = follow(mirror.url, user, abort.signal);
  await new Promise((r) => setTimeout(r, 200)); // both streams connected

  const body = new Uint8Array(size);
  const rows = { baseline: [] as number[], ack: [] as number[], mirror: [] as number[], lag: [] as number[] };
  for (let i = 0; i < warmup + writes; i++) {
    const path = `/pub/bench/${i}.bin`;
    body[0] = i & 0xff;
    body[1] = (i >> 8) & 0xff;
    const primaryEvent = onPrimary(path);
    const mirrorEvent = onMirror(path);
    const t0 = performance.now();
    await session.storage.putBytes(path, body);
    const ack = performance.now();
    const [tp, tm] = await Promise.all([primaryEvent, mirrorEvent]);
    if (i < warmup) continue;
    rows.baseline.push(tp - t0);
    rows.ack.push(ack - t0);
    rows.mirror.push(tm - t0);
    rows.lag.push(tm - ack);
  }
  const final = await waitForMirror(mirror.url, user, cookie, (s) => s.pendingEvents === 0 && s.appliedEvents >= warmup + writes);
  for (const v of Object.values(rows)) v.sort((a, b) => a - b);
  const b50 = quantile(rows.baseline, 0.5);
  const b99 = quantile(rows.baseline, 0.99);
  console.log(
    `${writes} sequential writes of ${size} B (after ${warmup} warm-up), /pub/ and /priv/ mirrored with a grant; mirror applied ${final.appliedEvents} events, lastError ${final.lastError}\n`,
  );
  console.log('| from PUT issued to | p50 ms | p99 ms | p50 × baseline | p99 × baseline |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const line = (name: string, v: number[]) =>
    console.log(
      `| ${name} | ${quantile(v, 0.5).toFixed(2)} | ${quantile(v, 0.99).toFixed(2)} | ${(quantile(v, 0.5) / b50).toFixed(2)} | ${(quantile(v, 0.99) / b99).toFixed(2)} |`,
    );
  line("baseline: event on the primary's own live stream", rows.baseline);
  line('PUT acknowledged by the primary', rows.ack);
  line('copy committed on the mirror (its event)', rows.mirror);
  line('mirror lag: ack → copy on the mirror', rows.lag);
} finally {
  abort.abort();
  await mirror.close();
  await net.close();
}
