// A helper, not part of `npm run bench` (the runner skips files starting with `_`): PUT 1 KiB load
// against one homeserver, as in benchmarks/homeserver.ts, reporting where the CPU goes. Used for
// the "Where the PUT gap is" notes in BENCHMARKS.md.
//   node --import tsx benchmarks/_put-profile.ts      env: SECS (5), CONNS (32)
// Add `--cpu-prof` before `--import` for a profile of the main thread.
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqliteHomeserverStore } from '../packages/homeserver/src/storage/open-store.ts';
import { startBenchHomeserver } from './_bench-homeserver.ts';

const { hs, port, z32, cookie, close } = await startBenchHomeserver('hs-put-profile-');

/** CPU ms per thread of this process (utime + stime from /proc, 10 ms ticks). */
const threads = (): Map<string, number> =>
  new Map(
    readdirSync('/proc/self/task').map((t) => {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return [t, (Number(f[11]) + Number(f[12])) * 10] as const;
    }),
  );
const writer = (hs.store as SqliteHomeserverStore).writer;
const commits0 = writer.commits;
const before = threads();
const cpu0 = process.cpuUsage();
const gen = fork(fileURLToPath(new URL('./homeserver.ts', import.meta.url)), ['--load'], { execArgv: ['--import', 'tsx'] });
const r = await new Promise<{ requests: number; seconds: number; cpuMicros: number; non2xx: Record<string, number> }>((resolve) => {
  gen.once('message', resolve as (m: unknown) => void);
  gen.send({
    kind: 'http',
    port,
    connections: Number(process.env.CONNS ?? 32),
    seconds: Number(process.env.SECS ?? 5),
    mode: 'put',
    headers: `pubky-host: ${z32}\r\nCookie: ${cookie}\r\n`,
    path: '/pub/bench/r0/',
  });
});
const cpu = process.cpuUsage(cpu0);
const after = threads();
const main = String(process.pid);
let others = 0;
for (const [t, ms] of after) if (t !== main) others += ms - (before.get(t) ?? 0);
const per = (ms: number) => ((ms * 1000) / r.requests).toFixed(1);
console.log(
  `${Math.round(r.requests / r.seconds)} PUT/s, non-2xx ${JSON.stringify(r.non2xx)}, ${(r.requests / (writer.commits - commits0)).toFixed(1)} PUTs per commit`,
);
console.log(
  `server CPU ${((cpu.user + cpu.system) / r.requests).toFixed(1)} µs/PUT: main thread ${per(after.get(main)! - before.get(main)!)}, other threads ${per(others)}; load generator ${(r.cpuMicros / r.requests).toFixed(1)}`,
);
await close();
