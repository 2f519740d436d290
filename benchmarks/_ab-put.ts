// A helper, not part of `npm run bench` (the runner skips files starting with `_`): A/B of two
// checkouts of the homeserver under the PUT load of benchmarks/homeserver.ts, for changes smaller
// than the noise between 2-second rounds. Both servers run at once (one process each); the load
// alternates between them in short bursts with the order flipped every round, so a machine that
// speeds up or slows down affects both alike. Prints the ratio B/A of the totals and per round.
//   git worktree add /tmp/basewt <rev> && (cd /tmp/basewt && npm ci), then
//   node --import tsx benchmarks/_ab-put.ts      env: A (/tmp/basewt), B (this checkout), ROUNDS (16), BURST (1 s), MODE (put|get)
// (A worktree whose node_modules is a link to this checkout's runs this checkout's workspace
// packages, `common` included: fine for changes to the homeserver alone.)
// An A/A run (B=/tmp/basewt) shows the noise: on the 2-core machine of session 5, 1.005 in total.
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchHomeserver } from './_bench-homeserver.ts';

interface Served {
  port: number;
  z32: string;
  cookie: string;
}

const BODY = Buffer.alloc(1024, 0x61);

/** Child: starts the homeserver of checkout `root`, signs up a user, reports, stops on a message. */
async function serve(root: string): Promise<void> {
  const b = await startBenchHomeserver('hs-ab-', root);
  process.send!({ port: b.port, z32: b.z32, cookie: b.cookie } satisfies Served);
  process.once('message', () => void b.close().then(() => process.exit(0)));
}

/** Closed-loop load on 32 keep-alive connections for `seconds`; requests per second. */
async function burst(s: Served, seconds: number, tag: string, mode: string): Promise<number> {
  let done = 0;
  let stop = false;
  const timer = setTimeout(() => (stop = true), seconds * 1000);
  const headers = `pubky-host: ${s.z32}\r\nCookie: ${s.cookie}\r\n`;
  await Promise.all(
    Array.from(
      { length: 32 },
      (_, c) =>
        new Promise<void>((done_) => {
          const sock = connect(s.port, '127.0.0.1');
          sock.setNoDelay(true);
          let i = 0;
          let buf: Buffer = Buffer.alloc(0);
          const send = (): void => {
            if (stop) {
              sock.end();
              done_();
              return;
            }
            if (mode === 'get') {
              sock.write(`GET /pub/ab/get.bin HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
            } else {
              sock.write(`PUT /pub/ab/${tag}/c${c}/f${i++} HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: ${BODY.length}\r\n\r\n`);
              sock.write(BODY);
            }
          };
          sock.on('connect', send);
          sock.on('error', () => done_());
          sock.on('close', () => done_());
          sock.on('data', (chunk: Buffer) => {
            buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
            for (;;) {
              const end = buf.indexOf('\r\n\r\n');
              if (end < 0) return;
              const m = /content-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
              const len = m ? Number(m[1]) : 0;
              if (buf.length < end + 4 + len) return;
              if (buf[9] !== 0x32) throw new Error(`status ${buf.subarray(9, 12).toString()}`);
              buf = buf.subarray(end + 4 + len);
              done++;
              send();
            }
          });
        }),
    ),
  );
  clearTimeout(timer);
  return done / seconds;
}

async function main(): Promise<void> {
  const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const roots = { A: process.env.A ?? '/tmp/basewt', B: process.env.B ?? here };
  const mode = process.env.MODE ?? 'put';
  const rounds = Number(process.env.ROUNDS ?? 16);
  const seconds = Number(process.env.BURST ?? 1);
  const servers: Record<string, Served> = {};
  const children = [];
  for (const [k, root] of Object.entries(roots)) {
    const child = fork(fileURLToPath(import.meta.url), ['--serve', root], { execArgv: ['--import', 'tsx'] });
    children.push(child);
    servers[k] = await new Promise<Served>((r) => child.once('message', (m) => r(m as Served)));
  }
  if (mode === 'get') {
    for (const s of Object.values(servers)) {
      await fetch(`http://127.0.0.1:${s.port}/pub/ab/get.bin`, {
        method: 'PUT',
        body: new Uint8Array(BODY),
        headers: { 'pubky-host': s.z32, cookie: s.cookie },
      });
    }
  }
  const total = { A: 0, B: 0 };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const got = { A: 0, B: 0 };
    for (const k of r % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) {
      await new Promise((res) => setTimeout(res, 300));
      got[k] = await burst(servers[k]!, seconds, `r${r}`, mode);
    }
    total.A += got.A;
    total.B += got.B;
    ratios.push(got.B / got.A);
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(`${mode}: A ${roots.A} ${Math.round(total.A / rounds)}/s, B ${roots.B} ${Math.round(total.B / rounds)}/s`);
  console.log(
    `B/A: ${(total.B / total.A).toFixed(3)} in total, median ${sorted[Math.floor(rounds / 2)]!.toFixed(3)}; per round ${ratios.map((x) => x.toFixed(2)).join(' ')}`,
  );
  // Each child stops its server and removes its temp directory before it exits.
  await Promise.all(children.map((c) => new Promise((res) => c.once('exit', res).send('stop'))));
}

const at = process.argv.indexOf('--serve');
await (at >= 0 ? serve(process.argv[at + 1]!) : main());
