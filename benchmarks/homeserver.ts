// Benchmark: the homeserver's HTTP side.
//  1. PUT 1 KiB with a cookie session and GET 1 KiB: requests/s and p99 latency, each as a ratio to
//     a bare node:http + better-sqlite3 server (WAL, synchronous=NORMAL) that stores each body as a
//     row in its own transaction, measured in the same run (paired rounds, order alternating).
//  2. The PUT comparison at 16, 32, 64 and 128 connections: group commit batches the writes in
//     flight, the bare server commits each alone, so the ratio depends on the concurrency.
//  3. Write-to-event latency on /events-stream with 1,000 connected live subscribers: time from
//     sending a PUT to each subscriber receiving its event, p50/p99 over all deliveries. Timed once
//     a warm-up event has reached every subscriber ("all live after": until then some are still in
//     their catch-up over the user's history, which the earlier rounds made long).
// The load generator is this file in a child process (`--load`), sharing the same 2 cores.
//   npm run bench -- homeserver     or     node --import tsx benchmarks/homeserver.ts [--seconds 2] [--connections 32] [--rounds 3] [--subscribers 1000] [--writes 40] [--sweep-rounds 3]
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { startBenchHomeserver } from './_bench-homeserver.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const BODY = Buffer.alloc(1024, 0x61);
const BODY_INIT = new Uint8Array(BODY);

// ------------------------------------------------------------------ load generator (child)
interface LoadJob {
  kind: 'http';
  port: number;
  connections: number;
  seconds: number;
  mode: 'get' | 'put';
  headers: string;
  /** GET path, or PUT path prefix. */
  path: string;
}
interface EventJob {
  kind: 'events';
  port: number;
  subscribers: number;
  writes: number;
  user: string;
  headers: string;
}
interface LoadResult {
  requests: number;
  non2xx: Record<string, number>;
  seconds: number;
  p99Ms: number;
  /** CPU time of the load generator itself (µs). */
  cpuMicros: number;
}
interface EventResult {
  /** Seconds until every subscriber had its response headers. */
  connectS: number;
  /** Seconds from the last subscriber's response headers until every subscriber had the warm-up event. */
  liveAfterS: number;
  deliveries: number;
  expected: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** Parses HTTP/1.1 responses with Content-Length off a keep-alive socket. */
function responses(onResponse: (status: string) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (buf.length < end + 4 + len) return;
      buf = buf.subarray(end + 4 + len);
      onResponse(head.slice(9, 12));
    }
  };
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  let done = 0;
  const non2xx: Record<string, number> = {};
  const latencies: number[] = [];
  let stop = false;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const timer = setTimeout(() => (stop = true), job.seconds * 1000);
  await Promise.all(
    Array.from(
      { length: job.connections },
      (_, c) =>
        new Promise<void>((resolve) => {
          const sock = connect(job.port, '127.0.0.1');
          sock.setNoDelay(true);
          let i = 0;
          let sentAt = 0n;
          const send = (): void => {
            if (stop) {
              sock.end();
              resolve();
              return;
            }
            sentAt = process.hrtime.bigint();
            if (job.mode === 'get') {
              sock.write(`GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${job.headers}\r\n`);
            } else {
              sock.write(
                `PUT ${job.path}c${c}/f${i++} HTTP/1.1\r\nHost: 127.0.0.1\r\n${job.headers}Content-Length: ${BODY.length}\r\n\r\n`,
              );
              sock.write(BODY);
            }
          };
          sock.on('connect', send);
          sock.on('error', () => resolve());
          sock.on('close', () => resolve());
          sock.on(
            'data',
            responses((status) => {
              latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
              if (status[0] !== '2') non2xx[status] = (non2xx[status] ?? 0) + 1;
              done++;
              send();
            }),
          );
        }),
    ),
  );
  clearTimeout(timer);
  const cpu = process.cpuUsage(cpu0);
  return {
    requests: done,
    non2xx,
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    p99Ms: pct(latencies, 99),
    cpuMicros: cpu.user + cpu.system,
  };
}

async function runEvents(job: EventJob): Promise<EventResult> {
  const sentAt = new Map<string, bigint>();
  const latencies: number[] = [];
  // A subscriber is live once its catch-up (the batch phase over the user's history) is done; the
  // warm-up event tells when all are, so the timed writes do not wait behind anyone's catch-up.
  let warmed = 0;
  let allWarm!: () => void;
  const warm = new Promise<void>((r) => (allWarm = r));
  let connected = 0;
  const connectStart = process.hrtime.bigint();
  let ready!: () => void;
  const allConnected = new Promise<void>((r) => (ready = r));
  const sockets = Array.from({ length: job.subscribers }, () => {
    const sock = connect(job.port, '127.0.0.1');
    let buf = '';
    let headersDone = false;
    sock.on('connect', () => sock.write(`GET /events-stream?user=${job.user}&live=true&path=/pub/ev/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      const now = process.hrtime.bigint();
      buf += d.toString('latin1');
      if (!headersDone) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        headersDone = true;
        buf = buf.slice(end + 4);
        if (++connected === job.subscribers) ready();
      }
      let m: RegExpExecArray | null;
      const re = /data: pubky:\/\/\w+(\/pub\/ev\/(?:\d+|warm-up))\n/g;
      while ((m = re.exec(buf))) {
        if (m[1] === '/pub/ev/warm-up') {
          if (++warmed === job.subscribers) allWarm();
          continue;
        }
        const t0 = sentAt.get(m[1]!);
        if (t0 !== undefined) latencies.push(Number(now - t0) / 1e6);
      }
      const cut = buf.lastIndexOf('\n\n');
      if (cut >= 0) buf = buf.slice(cut + 2);
    });
    return sock;
  });
  await allConnected;
  const writer = connect(job.port, '127.0.0.1');
  writer.setNoDelay(true);
  await new Promise((r) => writer.once('connect', r));
  let acked!: () => void;
  writer.on(
    'data',
    responses(() => acked()),
  );
  const put = async (path: string): Promise<void> => {
    const wait = new Promise<void>((r) => (acked = r));
    writer.write(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${job.headers}Content-Length: ${BODY.length}\r\n\r\n`);
    writer.write(BODY);
    await wait;
  };
  const connectedAt = process.hrtime.bigint();
  const connectS = Number(connectedAt - connectStart) / 1e9;
  await put('/pub/ev/warm-up');
  let giveUp!: NodeJS.Timeout;
  await Promise.race([warm, new Promise((r) => (giveUp = setTimeout(r, 120_000)))]);
  clearTimeout(giveUp);
  const liveAfterS = Number(process.hrtime.bigint() - connectedAt) / 1e9;
  for (let i = 0; i < job.writes; i++) {
    const path = `/pub/ev/${i}`;
    sentAt.set(path, process.hrtime.bigint());
    await put(path);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const s of sockets) s.destroy();
  writer.destroy();
  return {
    connectS,
    liveAfterS,
    deliveries: latencies.length,
    expected: job.subscribers * job.writes,
    p50Ms: pct(latencies, 50),
    p99Ms: pct(latencies, 99),
    maxMs: Math.max(...latencies),
  };
}

function child<J, R>(job: J): Promise<R> {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['--load'], { execArgv: ['--import', 'tsx'] });
    c.once('message', (r) => resolve(r as R));
    c.once('error', reject);
    c.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
    c.send(job as object);
  });
}

// ------------------------------------------------------------------ baseline
/** node:http + better-sqlite3, one autocommit INSERT per PUT, one SELECT per GET. */
function startBaseline(dir: string): Promise<{ server: Server; port: number; db: Database.Database }> {
  const db = new Database(join(dir, 'bare.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, body BLOB NOT NULL)');
  const put = db.prepare('INSERT OR REPLACE INTO files (path, body) VALUES (?, ?)');
  const get = db.prepare<[string], { body: Buffer }>('SELECT body FROM files WHERE path = ?');
  const server = createServer((req, res) => {
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        put.run(req.url, Buffer.concat(chunks));
        res.writeHead(201, { 'content-length': 0 });
        res.end();
      });
      return;
    }
    const row = get.get(req.url ?? '');
    if (!row) {
      res.writeHead(404, { 'content-length': 0 });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': row.body.length });
    res.end(row.body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, db })),
  );
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 2);
  const connections = arg('connections', 32);
  const rounds = arg('rounds', 3);
  const sweepRounds = arg('sweep-rounds', 3);
  const subscribers = arg('subscribers', 1000);
  const writes = arg('writes', 40);
  const served = await startBenchHomeserver('hs-bench-');
  const { hs, port: hsPort, dir, z32: z, cookie } = served;
  const auth = `pubky-host: ${z}\r\nCookie: ${cookie}\r\n`;
  await fetch(`${hs.url}/pub/bench/get.bin`, { method: 'PUT', body: BODY_INIT, headers: { 'pubky-host': z, cookie } });
  const bare = await startBaseline(dir);
  await fetch(`http://127.0.0.1:${bare.port}/pub/bench/get.bin`, { method: 'PUT', body: BODY_INIT });

  // cpu: CPU time of this process (the server under load, its worker threads included) per
  // request; less sensitive than req/s to other work on the machine.
  type Side = { rps: number[]; p99: number[]; cpu: number[]; gen: number[]; errors: string[] };
  const side = (): Side => ({ rps: [], p99: [], cpu: [], gen: [], errors: [] });
  const rows = [
    { name: 'PUT 1 KiB (cookie session)', mode: 'put' as const, hs: side(), bare: side() },
    { name: 'GET 1 KiB', mode: 'get' as const, hs: side(), bare: side() },
  ];
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) {
      const order: Array<'hs' | 'bare'> = round % 2 === 0 ? ['bare', 'hs'] : ['hs', 'bare'];
      for (const who of order) {
        const job: LoadJob = {
          kind: 'http',
          port: who === 'hs' ? hsPort : bare.port,
          connections,
          seconds,
          mode: row.mode,
          headers: who === 'hs' ? auth : '',
          path: row.mode === 'get' ? '/pub/bench/get.bin' : `/pub/bench/r${round}/`,
        };
        const cpu0 = process.cpuUsage();
        const r = await child<LoadJob, LoadResult>(job);
        const cpu = process.cpuUsage(cpu0);
        row[who].cpu.push((cpu.user + cpu.system) / Math.max(1, r.requests));
        row[who].gen.push(r.cpuMicros / Math.max(1, r.requests));
        row[who].rps.push(r.requests / r.seconds);
        row[who].p99.push(r.p99Ms);
        if (Object.keys(r.non2xx).length) row[who].errors.push(JSON.stringify(r.non2xx));
      }
    }
  }
  const ev = await child<EventJob, EventResult>({ kind: 'events', port: hsPort, subscribers, writes, user: z, headers: auth });
  // PUT at other concurrencies (after the event test: a backlog of checkpoint work from these
  // extra writes disturbs it): group commit batches what is in flight, the bare server commits each
  // PUT alone, so the ratio depends on how many requests are in flight.
  const sweepConnections = [16, 32, 64, 128];
  const sweep: { connections: number; hs: Side; bare: Side }[] = [];
  for (const conns of sweepConnections) {
    const point = { connections: conns, hs: side(), bare: side() };
    for (let round = 0; round < sweepRounds; round++) {
      const order: Array<'hs' | 'bare'> = round % 2 === 0 ? ['bare', 'hs'] : ['hs', 'bare'];
      for (const who of order) {
        const r = await child<LoadJob, LoadResult>({
          kind: 'http',
          port: who === 'hs' ? hsPort : bare.port,
          connections: conns,
          seconds,
          mode: 'put',
          headers: who === 'hs' ? auth : '',
          path: `/pub/bench/s${conns}r${round}/`,
        });
        point[who].rps.push(r.requests / r.seconds);
        point[who].p99.push(r.p99Ms);
      }
    }
    sweep.push(point);
  }
  bare.server.close();
  bare.server.closeAllConnections();
  bare.db.close();
  await served.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `homeserver vs bare node:http + better-sqlite3 (one transaction per PUT), ${connections} keep-alive connections, ${rounds} paired rounds of ${seconds} s, load generator in a child process, Node ${process.version}\n`,
  );
  console.log(
    '| case | homeserver req/s | bare req/s | req/s ratio (median of rounds) | per-round ratios | p99 ms homeserver / bare | p99 ratio (bare ÷ homeserver) | server CPU µs/req homeserver / bare | CPU ratio (bare ÷ homeserver) | load generator CPU µs/req (homeserver / bare) | target |',
  );
  console.log('| --- | ---: | ---: | ---: | --- | --- | ---: | --- | ---: | --- | --- |');
  for (const r of rows) {
    const ratios = r.hs.rps.map((x, i) => x / r.bare.rps[i]!);
    const p99h = median(r.hs.p99);
    const p99b = median(r.bare.p99);
    const target = r.mode === 'put' ? '≥ 1.0' : '≥ 0.85';
    const cpuh = median(r.hs.cpu);
    const cpub = median(r.bare.cpu);
    console.log(
      `| ${r.name} | ${fmt(median(r.hs.rps))} | ${fmt(median(r.bare.rps))} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(', ')} | ${p99h.toFixed(1)} / ${p99b.toFixed(1)} | ${(p99b / p99h).toFixed(2)} | ${cpuh.toFixed(1)} / ${cpub.toFixed(1)} | ${(cpub / cpuh).toFixed(2)} | ${median(r.hs.gen).toFixed(1)} / ${median(r.bare.gen).toFixed(1)} | ${target} |`,
    );
  }
  if (sweepRounds > 0) {
    console.log(`\nPUT 1 KiB by concurrency (${sweepRounds} paired rounds each):\n`);
    console.log('| connections | homeserver req/s | bare req/s | req/s ratio (median) | per-round ratios | p99 ms homeserver / bare |');
    console.log('| ---: | ---: | ---: | ---: | --- | --- |');
  }
  for (const p of sweepRounds > 0 ? sweep : []) {
    const ratios = p.hs.rps.map((x, i) => x / p.bare.rps[i]!);
    console.log(
      `| ${p.connections} | ${fmt(median(p.hs.rps))} | ${fmt(median(p.bare.rps))} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(', ')} | ${median(p.hs.p99).toFixed(1)} / ${median(p.bare.p99).toFixed(1)} |`,
    );
  }
  console.log(
    '\n| event stream | subscribers | all connected after s | all live after s | writes | deliveries | p50 ms | p99 ms | max ms | target |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  console.log(
    `| PUT → /events-stream live event | ${subscribers} | ${ev.connectS.toFixed(2)} | ${ev.liveAfterS.toFixed(2)} | ${writes} | ${ev.deliveries} / ${ev.expected} | ${ev.p50Ms.toFixed(1)} | ${ev.p99Ms.toFixed(1)} | ${ev.maxMs.toFixed(1)} | p99 < 50 ms |`,
  );
  for (const r of rows)
    for (const who of ['hs', 'bare'] as const)
      if (r[who].errors.length) console.log(`\nnon-2xx in "${r.name}" (${who}): ${r[who].errors.join('; ')}`);
}

if (process.argv.includes('--load')) {
  process.once('message', (job: LoadJob | EventJob) => {
    const run = job.kind === 'http' ? runLoad(job) : runEvents(job);
    void run.then((r) => process.send!(r, () => process.exit(0)));
  });
} else {
  await main();
}
