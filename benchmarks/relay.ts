// Benchmark: pkarr relay GET of a cached packet and PUT of a new packet, in requests per second,
// each as a ratio to a bare node:http server answering the same bytes in the same run.
// The load generator is this same file in a child process (`--load`): N keep-alive TCP
// connections, one request in flight per connection, minimal response parsing, requests built
// (and signed) before the clock starts.
//   npm run bench -- relay      or      node --import tsx benchmarks/relay.ts [--seconds 3] [--connections 32] [--rounds 3]
import { fork } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Keypair } from '@pubky-ts/common';
import { startPkarrRelay } from '../packages/relay/src/pkarr-relay.ts';
import { signable } from '../packages/relay/src/relay-packet.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function encodeDns(z32: string, ts: number): Uint8Array {
  // One TXT record at the apex: a small, realistic packet.
  const txt = Buffer.from(`v=${ts}`);
  return Uint8Array.from([
    0,
    0,
    0x80,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    z32.length,
    ...Buffer.from(z32),
    0,
    0,
    16,
    0,
    1,
    0,
    0,
    0x0e,
    0x10,
    0,
    txt.length + 1,
    txt.length,
    ...txt,
  ]);
}

function signedPayload(kp: Keypair, ts: number): Buffer {
  const dns = encodeDns(kp.publicKey.z32, ts);
  const sig = kp.sign(signable(ts, dns));
  const out = Buffer.alloc(72 + dns.length);
  out.set(sig, 0);
  out.writeUInt32BE(Math.floor(ts / 0x1_0000_0000), 64);
  out.writeUInt32BE(ts >>> 0, 68);
  out.set(dns, 72);
  return out;
}

// ------------------------------------------------------------------ load generator (child)
interface LoadJob {
  port: number;
  connections: number;
  seconds: number;
  mode: 'get' | 'put';
  path?: string;
  putsPerConnection?: number;
}
interface LoadResult {
  requests: number;
  non2xx: number;
  statuses: Record<string, number>;
  seconds: number;
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const perConn: Buffer[][] = [];
  for (let c = 0; c < job.connections; c++) {
    if (job.mode === 'get') {
      perConn.push([Buffer.from(`GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)]);
    } else {
      // One key per connection, strictly increasing timestamps: every PUT is a new, newer packet.
      const kp = Keypair.random();
      const list: Buffer[] = [];
      let ts = Date.now() * 1000;
      for (let i = 0; i < job.putsPerConnection!; i++) {
        ts += 1000;
        const body = signedPayload(kp, ts);
        list.push(
          Buffer.concat([
            Buffer.from(`PUT /${kp.publicKey.z32} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n`),
            body,
          ]),
        );
      }
      perConn.push(list);
    }
  }
  let done = 0;
  let non2xx = 0;
  const statuses: Record<string, number> = {};
  let stop = false;
  const start = process.hrtime.bigint();
  const timer = setTimeout(() => (stop = true), job.seconds * 1000);
  await Promise.all(
    perConn.map(
      (list) =>
        new Promise<void>((resolve) => {
          const sock = connect(job.port, '127.0.0.1');
          sock.setNoDelay(true);
          let buf: Buffer = Buffer.alloc(0);
          let i = 0;
          const send = () => {
            if (stop || i >= list.length) {
              sock.end();
              resolve();
              return;
            }
            sock.write(list[i]);
            if (job.mode === 'put') i++;
          };
          sock.on('connect', send);
          sock.on('error', () => resolve());
          sock.on('close', () => resolve());
          sock.on('data', (chunk: Buffer) => {
            buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
            for (;;) {
              const end = buf.indexOf('\r\n\r\n');
              if (end < 0) return;
              const head = buf.subarray(0, end).toString('latin1');
              const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
              const len = m ? Number(m[1]) : 0;
              if (buf.length < end + 4 + len) return;
              const status = head.slice(9, 12);
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (status[0] !== '2') non2xx++;
              done++;
              buf = buf.subarray(end + 4 + len);
              send();
            }
          });
        }),
    ),
  );
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { requests: done, non2xx, statuses, seconds };
}

function load(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load'], { execArgv: ['--import', 'tsx'] });
    child.once('message', (r) => resolve(r as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
    child.send(job);
  });
}

// ------------------------------------------------------------------ baselines
function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 1.5);
  const connections = arg('connections', 32);
  const rounds = arg('rounds', 5);

  // The cached packet the GET runs read.
  const kp = Keypair.random();
  const payload = signedPayload(kp, Date.now() * 1000);
  const relay = await startPkarrRelay({ dht: false });
  const putRes = await fetch(`${relay.url}/${kp.publicKey.z32}`, { method: 'PUT', body: Buffer.from(payload) });
  if (putRes.status !== 204) throw new Error(`seeding PUT answered ${putRes.status}`);
  const sample = await fetch(`${relay.url}/${kp.publicKey.z32}`);
  const sampleBody = Buffer.from(await sample.arrayBuffer());
  const sameHeaders: string[] = [];
  sample.headers.forEach((v, k) => {
    if (!['date', 'connection', 'keep-alive'].includes(k)) sameHeaders.push(k, v);
  });

  // Bare node:http answering the same bytes (same status, headers and body) without any logic.
  const bareGet = await listen((_req, res) => {
    res.writeHead(200, sameHeaders);
    res.end(sampleBody);
  });
  // Bare node:http taking a PUT body and answering 204 with the same header.
  const barePut = await listen((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(204, ['Pkarr-Dht-Stored-Nodes', '0']);
      res.end();
    });
  });

  const putsPerConnection = Math.ceil((12_000 * seconds) / connections);
  // cpu = server-process CPU µs per request: steadier than req/s when other work shares the cores.
  type Row = { name: string; relay: number[]; bare: number[]; cpu: { relay: number[]; bare: number[] }; errors: string[] };
  const rows: Row[] = [
    { name: `GET cached packet (${payload.length} B payload)`, relay: [], bare: [], cpu: { relay: [], bare: [] }, errors: [] },
    { name: 'PUT new packet: verify + SQLite, DHT disabled by config', relay: [], bare: [], cpu: { relay: [], bare: [] }, errors: [] },
  ];
  for (let round = 0; round < rounds; round++) {
    const order: Array<[number, 'relay' | 'bare']> =
      round % 2 === 0
        ? [
            [0, 'bare'],
            [0, 'relay'],
            [1, 'bare'],
            [1, 'relay'],
          ]
        : [
            [0, 'relay'],
            [0, 'bare'],
            [1, 'relay'],
            [1, 'bare'],
          ];
    for (const [row, who] of order) {
      const port = who === 'relay' ? relay.port : row === 0 ? bareGet.port : barePut.port;
      const job: LoadJob =
        row === 0
          ? { port, connections, seconds, mode: 'get', path: `/${kp.publicKey.z32}` }
          : { port, connections, seconds, mode: 'put', putsPerConnection };
      const cpu0 = process.cpuUsage();
      const r = await load(job);
      const cpu = process.cpuUsage(cpu0);
      rows[row][who].push(r.requests / r.seconds);
      rows[row].cpu[who].push((cpu.user + cpu.system) / Math.max(1, r.requests));
      if (r.non2xx > 0) rows[row].errors.push(`${who}: ${JSON.stringify(r.statuses)}`);
    }
  }
  await relay.close();
  await close(bareGet.server);
  await close(barePut.server);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `pkarr relay vs bare node:http, ${connections} keep-alive connections, ${rounds} paired rounds of ${seconds} s (relay and bare back to back, order alternating), load generator in a child process, Node ${process.version}\n`,
  );
  console.log(
    '| case | relay req/s | bare node:http req/s | ratio (median of paired rounds) | per-round ratios | server CPU µs/req relay / bare | CPU-efficiency ratio |',
  );
  console.log('| --- | ---: | ---: | ---: | --- | --- | ---: |');
  for (const r of rows) {
    const paired = r.relay.map((x, i) => x / r.bare[i]);
    const cpuRelay = median(r.cpu.relay);
    const cpuBare = median(r.cpu.bare);
    console.log(
      `| ${r.name} | ${fmt(median(r.relay))} | ${fmt(median(r.bare))} | ${median(paired).toFixed(2)} | ${paired.map((x) => x.toFixed(2)).join(', ')} | ${cpuRelay.toFixed(1)} / ${cpuBare.toFixed(1)} | ${(cpuBare / cpuRelay).toFixed(2)} |`,
    );
  }
  for (const r of rows) if (r.errors.length) console.log(`\nnon-2xx answers in "${r.name}": ${r.errors.join('; ')}`);
  console.log('\nGET target: ratio ≥ 0.80. The machine is shared: the CPU-efficiency ratio (bare CPU per request ÷ relay CPU');
  console.log(
    'per request, both measured in the server process) is the steadier figure when other processes compete. The PUT baseline reads the body and answers 204; the relay also verifies',
  );
  console.log('the Ed25519 signature, parses the DNS packet and writes SQLite (WAL, synchronous=NORMAL); its DHT is');
  console.log('disabled by config (`dht: false`), so no network publish is included.');
}

if (process.argv.includes('--load')) {
  process.once('message', (job: LoadJob) => {
    void runLoad(job).then((r) => {
      process.send!(r, () => process.exit(0));
    });
  });
} else {
  await main();
}
