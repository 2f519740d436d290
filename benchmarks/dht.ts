// Benchmark: our Mainline DHT node on a 50-node loopback swarm. N mutable puts and N gets of
// distinct keys (~200-byte values): latency p50/p99 and how many nodes each put landed on, set
// against a single UDP ping round trip between two of the nodes measured in the same run.
// Puts run one at a time (each starts with its own get lookup, as a first publish does);
// gets are issued from a different node than the put. A concurrent phase gives puts per second.
//   npm run bench -- dht      or      node --import tsx benchmarks/dht.ts [--nodes 50] [--n 200] [--concurrency 16]
import { randomBytes } from 'node:crypto';
import { Keypair } from '@pubky-ts/common';
import { encodeSignable, startLocalSwarm, type DhtNode } from '../packages/dht/src/index.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const NODES = arg('nodes', 50);
const N = arg('n', 200);
const CONCURRENCY = arg('concurrency', 16);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const ms = (x: number) => x.toFixed(2);

function makeItem() {
  const kp = Keypair.random();
  const value = new Uint8Array(randomBytes(200));
  const seq = Date.now() * 1000;
  return { key: kp.publicKey.bytes, seq, value, signature: kp.sign(encodeSignable(seq, value)) };
}

const hardStop = setTimeout(() => {
  console.error('benchmark exceeded 90 s');
  process.exit(1);
}, 90_000);
hardStop.unref();

const t0 = performance.now();
const swarm = await startLocalSwarm(NODES, { seeded: false, requestTimeoutMs: 1000 });
const joinMs = performance.now() - t0;
const nodes = swarm.nodes;
const tables = nodes.map((n) => n.routingTableSize());

// Baseline: one KRPC ping round trip between two nodes.
const pings: number[] = [];
for (let i = 0; i < 300; i++) {
  const a = nodes[i % NODES];
  const b = nodes[(i + 1) % NODES];
  const s = performance.now();
  const id = await a.ping(b.address());
  if (!id) throw new Error('ping timed out on loopback');
  pings.push(performance.now() - s);
}
const pingP50 = pct(pings, 50);

// Sequential puts and gets.
const items = Array.from({ length: N }, makeItem);
const putLat: number[] = [];
const stored: number[] = [];
for (let i = 0; i < N; i++) {
  const s = performance.now();
  const res = await nodes[i % NODES].putMutable(items[i]);
  putLat.push(performance.now() - s);
  stored.push(res.storedAt);
}
const getFirst: number[] = [];
const getAll: number[] = [];
let misses = 0;
for (let i = 0; i < N; i++) {
  const getter: DhtNode = nodes[(i + 17) % NODES];
  const s = performance.now();
  let first = -1;
  let found = 0;
  for await (const it of getter.getMutable(items[i].key)) {
    if (first < 0) first = performance.now() - s;
    if (it.seq === items[i].seq) found++;
  }
  getAll.push(performance.now() - s);
  if (first < 0 || found === 0) misses++;
  else getFirst.push(first);
}

// Concurrent puts of fresh keys: throughput with CONCURRENCY in flight.
const burst = Array.from({ length: N }, makeItem);
let next = 0;
const cs = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, w) => {
    while (next < burst.length) {
      const i = next++;
      await nodes[(i + w) % NODES].putMutable(burst[i]);
    }
  }),
);
const putsPerSec = N / ((performance.now() - cs) / 1000);

const stats = nodes.map((n) => n.stats());
const timeouts = stats.reduce((a, s) => a + s.timeouts, 0);
await swarm.close();
clearTimeout(hardStop);

const mean = stored.reduce((a, b) => a + b, 0) / stored.length;
console.log(
  `${NODES} nodes joined through node 0 in ${ms(joinMs)} ms; routing tables ${Math.min(...tables)}–${Math.max(...tables)} entries; ${N} distinct keys, 200-byte values; Node ${process.version}\n`,
);
console.log('| measure | p50 ms | p99 ms | × ping p50 |');
console.log('| --- | ---: | ---: | ---: |');
console.log(`| baseline: KRPC ping round trip | ${ms(pingP50)} | ${ms(pct(pings, 99))} | 1.0 |`);
console.log(
  `| put (get lookup + puts to the ${Math.max(...stored)} closest) | ${ms(pct(putLat, 50))} | ${ms(pct(putLat, 99))} | ${(pct(putLat, 50) / pingP50).toFixed(1)} |`,
);
console.log(
  `| get, first valid item | ${ms(pct(getFirst, 50))} | ${ms(pct(getFirst, 99))} | ${(pct(getFirst, 50) / pingP50).toFixed(1)} |`,
);
console.log(`| get, lookup complete | ${ms(pct(getAll, 50))} | ${ms(pct(getAll, 99))} | ${(pct(getAll, 50) / pingP50).toFixed(1)} |`);
console.log('');
console.log('| measure | value |');
console.log('| --- | ---: |');
console.log(`| put landed on (mean / min nodes) | ${mean.toFixed(1)} / ${Math.min(...stored)} |`);
console.log(`| gets that missed the item | ${misses} of ${N} |`);
console.log(`| concurrent puts/s (${CONCURRENCY} in flight) | ${putsPerSec.toFixed(0)} |`);
console.log(`| request timeouts in the whole run | ${timeouts} |`);
