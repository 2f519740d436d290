// Scale-out (issue 5): PUT and GET of 1 KiB per second over HTTP against homeserver processes (the
// CLI) — the embedded SQLite profile, one PostgreSQL process, and three PostgreSQL processes behind the
// load balancer — in one run, paired rounds in rotating order; plus event delivery latency from a
// write on one process to a live `/events-stream` subscriber connected to another.
// `npm run bench -- scale-out.ts` (SCALE_BENCH_QUICK=1 for a shorter run). Needs the PostgreSQL test
// cluster (PUBKY_TEST_DATABASE_URL overrides); each run uses fresh databases, dropped afterwards.
// The load generator runs in a child process with keep-alive connections.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { readSse, signup, startCluster, tempDatabase } from '../packages/testnet/test/fault-helpers.ts';

interface LoadSpec {
  url: string;
  method: 'PUT' | 'GET';
  users: Record<string, string>[];
  /** Run for this long, or exactly `count` operations. */
  seconds?: number;
  count?: number;
  concurrency: number;
  /** Paths per user set: operation i touches user i % users, path i % paths. */
  paths: number;
}

interface LoadResult {
  ops: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** The child: runs one load and prints its result as JSON. */
async function loadChild(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const url = new URL(spec.url);
  const body = randomBytes(1024);
  let next = 0;
  let errors = 0;
  const times: number[] = [];
  const t0 = performance.now();
  const end = spec.seconds ? t0 + spec.seconds * 1000 : Infinity;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const headers = { ...spec.users[i % spec.users.length], ...(spec.method === 'PUT' ? { 'content-length': String(body.length) } : {}) };
      const req = request(
        { host: url.hostname, port: url.port, method: spec.method, path: `/pub/bench/${i % spec.paths}`, headers, agent },
        (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () => {
            const ok =
              spec.method === 'PUT' ? res.statusCode === 201 || res.statusCode === 204 : res.statusCode === 200 && n === body.length;
            if (!ok) errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(spec.method === 'PUT' ? body : undefined);
    });
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      for (;;) {
        if (performance.now() >= end) return;
        const i = next++;
        if (spec.count !== undefined && i >= spec.count) return;
        const s = performance.now();
        await one(i);
        times.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  agent.destroy();
  return { ops: times.length, opsPerSec: (times.length / ms) * 1000, p50: pct(times, 50), p99: pct(times, 99), errors };
}

if (process.argv[2] === '--load') {
  const result = await loadChild(JSON.parse(process.argv[3]) as LoadSpec);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

/** Runs a load in a child process. */
function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--load', JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

const QUICK = process.env.SCALE_BENCH_QUICK === '1';
const ROUNDS = QUICK ? 2 : 4;
const SECONDS = QUICK ? 1.5 : 3;
const CONCURRENCY = 32;
const USERS = 16;
const PATHS = 2000; // a multiple of USERS: path p always belongs to user p % USERS
const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
const f2 = (x: number) => x.toFixed(2);

const cleanups: (() => Promise<void>)[] = [];
try {
  const db1 = await tempDatabase();
  cleanups.push(db1.drop);
  const db3 = await tempDatabase();
  cleanups.push(db3.drop);
  const lite = await startCluster('', 1);
  cleanups.push(lite.close);
  const one = await startCluster(db1.url, 1);
  cleanups.push(one.close);
  const three = await startCluster(db3.url, 3);
  cleanups.push(three.close);

  const targets = [
    { name: 'SQLite, 1 process', url: lite.cluster.instances[0].url },
    { name: 'PostgreSQL, 1 process', url: one.cluster.instances[0].url },
    { name: 'PostgreSQL, 1 process behind the balancer', url: one.cluster.url },
    { name: 'PostgreSQL, 3 processes behind the balancer', url: three.cluster.url },
  ];
  const users = new Map<string, Record<string, string>[]>();
  for (const t of targets) {
    const list: Record<string, string>[] = [];
    for (let i = 0; i < USERS; i++) list.push((await signup(t.url)).headers);
    users.set(t.name, list);
    // Every path exists before the first GET round (and the caches are warm).
    const fill = await load({ url: t.url, method: 'PUT', users: list, count: PATHS, concurrency: CONCURRENCY, paths: PATHS });
    if (fill.errors > 0) throw new Error(`${t.name}: ${fill.errors} failed writes while filling`);
  }

  const results = new Map<string, { PUT: LoadResult[]; GET: LoadResult[] }>(targets.map((t) => [t.name, { PUT: [], GET: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order so no target always runs first (or on a warmer machine).
    const order = targets.map((_, k) => targets[(k + r) % targets.length]);
    for (const method of ['PUT', 'GET'] as const) {
      for (const t of order) {
        const res = await load({ url: t.url, method, users: users.get(t.name)!, seconds: SECONDS, concurrency: CONCURRENCY, paths: PATHS });
        if (res.errors > 0) throw new Error(`${t.name} ${method}: ${res.errors} errors`);
        results.get(t.name)![method].push(res);
      }
    }
  }
  const median = (xs: LoadResult[]) => [...xs].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(xs.length / 2)];
  console.log('| 1 KiB over HTTP, 32 in flight | PUT/s | p50 ms | p99 ms | vs SQLite | GET/s | p50 ms | p99 ms | vs SQLite |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const base = results.get(targets[0].name)!;
  for (const t of targets) {
    const { PUT, GET } = results.get(t.name)!;
    const p = median(PUT);
    const g = median(GET);
    console.log(
      `| ${t.name} | ${f0(p.opsPerSec)} | ${f2(p.p50)} | ${f2(p.p99)} | ${f2(p.opsPerSec / median(base.PUT).opsPerSec)}× | ${f0(g.opsPerSec)} | ${f2(g.p50)} | ${f2(g.p99)} | ${f2(g.opsPerSec / median(base.GET).opsPerSec)}× |`,
    );
  }
  console.log(
    `\nmedian of ${ROUNDS} rounds of ${SECONDS} s per target and method (rotating order), ${USERS} users, ${PATHS} paths, keep-alive connections, load generator in a child process.`,
  );

  // Event delivery: a write on process 0, a live subscriber on process 1.
  const [writerNode, subscriberNode] = three.cluster.instances;
  const { user, headers } = await signup(writerNode.url);
  const pk = user.publicKey.z32;
  const abort = new AbortController();
  const arrived = new Map<string, number>();
  const stream = await fetch(`${subscriberNode.url}/events-stream?user=${pk}&live=true`, { signal: abort.signal });
  const reading = readSse(stream, (e) => arrived.set(e.uri, performance.now()));
  const N = QUICK ? 100 : 400;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const writeUrl = new URL(writerNode.url);
  const sent: { uri: string; t0: number; acked: number }[] = [];
  const body = randomBytes(1024);
  for (let i = 0; i < N; i++) {
    const path = `/pub/latency/${i}`;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: writeUrl.hostname, port: writeUrl.port, method: 'PUT', path, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 || res.statusCode === 204 ? resolve() : reject(new Error(`PUT ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
    sent.push({ uri: `pubky://${pk}${path}`, t0, acked: performance.now() });
    await new Promise((r) => setTimeout(r, 3));
  }
  const deadline = Date.now() + 10_000;
  while (arrived.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  abort.abort();
  await reading;
  agent.destroy();
  if (arrived.size < N) throw new Error(`only ${arrived.size}/${N} events arrived`);
  const fromSend = sent.map((s) => arrived.get(s.uri)! - s.t0);
  const fromAck = sent.map((s) => arrived.get(s.uri)! - s.acked);
  const put = sent.map((s) => s.acked - s.t0);
  console.log('\n| event delivery, write on process A → live subscriber on process B (PostgreSQL) | p50 ms | p99 ms |');
  console.log('| --- | ---: | ---: |');
  console.log(`| PUT sent → event received on B | ${f2(pct(fromSend, 50))} | ${f2(pct(fromSend, 99))} |`);
  console.log(
    `| PUT acknowledged by A → event received on B (negative: before the ack) | ${f2(pct(fromAck, 50))} | ${f2(pct(fromAck, 99))} |`,
  );
  console.log(`| (the PUT itself on A) | ${f2(pct(put, 50))} | ${f2(pct(put, 99))} |`);
  console.log(`\n${N} sequential 1 KiB writes, 3 ms apart, while the cluster is otherwise idle.`);
} finally {
  for (const c of cleanups.reverse()) await c().catch((e) => console.error('cleanup failed', e));
}
