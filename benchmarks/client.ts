// Benchmark: the SDK's latency on a local testnet (random ports, in this process), p50 and p99 over
// N runs, each as a ratio to a baseline measured in the same run: a bare fetch of GET / on the
// homeserver (one loopback HTTP round trip through the same fetch and connection pool).
//
//   resolve homeserver, cold     new Pubky() + getHomeserverOf(user): one relay GET (the relay
//                                answers from its cache), signature check, _pubky parse
//   resolve homeserver, cached   getHomeserverOf(user) again on the same Pubky (in-memory)
//   sign-in core                 AuthToken.sign → POST /session → Session (homeserver known)
//   signin(), warm client        Signer.signin() with the homeserver cached: the core plus the
//                                SDK's _pubky freshness check (a fresh relay GET), awaited
//   signin(), cold client        Signer.signin() on a new Pubky: resolve user and homeserver
//                                packets, then the above
//
// The operations run interleaved (one of each per round) so load from other processes falls on
// all of them alike.
//   npm run bench -- client      or      node --import tsx benchmarks/client.ts [--runs 200] [--warmup 20]
import { AuthToken, Keypair, Pubky } from '@pubky-ts/client';
import { startTestnet } from '@pubky-ts/testnet';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

function quantile(sorted: number[], q: number): number {
  // nearest-rank
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

const runs = arg('runs', 200);
const warmup = arg('warmup', 20);

const net = await startTestnet({ logLevel: 'silent', signupMode: 'open', dhtNodes: 2 });
try {
  const options = { relays: [net.pkarrRelay.url], httpRelay: `${net.httpRelay.url}/inbox` };
  const keypair = Keypair.random();
  const setup = new Pubky(options);
  await setup.signer(keypair).signup(net.homeserver.publicKey);
  const user = keypair.publicKey;
  const hs = net.homeserver.publicKey;
  const warm = new Pubky(options);
  if (!(await warm.getHomeserverOf(user))?.equals(hs)) throw new Error('the user does not resolve to the homeserver');
  const warmSigner = warm.signer(keypair);

  const ops: Array<{ name: string; run: () => Promise<unknown> }> = [
    {
      name: 'baseline: fetch GET / on the homeserver',
      run: async () => {
        const res = await fetch(`${net.homeserver.url}/`);
        await res.arrayBuffer();
        if (!res.ok && res.status !== 404) throw new Error(`GET / answered ${res.status}`);
      },
    },
    {
      name: 'resolve homeserver, cold (new Pubky)',
      run: async () => {
        const found = await new Pubky(options).getHomeserverOf(user);
        if (!found) throw new Error('not found');
      },
    },
    { name: 'resolve homeserver, cached', run: () => warm.getHomeserverOf(user) },
    {
      name: 'sign-in core: AuthToken → POST /session → Session',
      run: () => warm.sessionFromAuthToken(AuthToken.sign(keypair, '/:rw'), hs),
    },
    { name: 'signin(), warm client', run: () => warmSigner.signin({ awaitRepublish: true }) },
    { name: 'signin(), cold client (new Pubky)', run: () => new Pubky(options).signer(keypair).signin({ awaitRepublish: true }) },
  ];

  const samples = ops.map(() => [] as number[]);
  for (let i = 0; i < warmup + runs; i++) {
    for (const [k, op] of ops.entries()) {
      const t0 = performance.now();
      await op.run();
      const dt = performance.now() - t0;
      if (i >= warmup) samples[k].push(dt);
    }
  }

  const stats = samples.map((s) => {
    const sorted = [...s].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
  });
  const base = stats[0];
  const ms = (v: number) => (v < 0.1 ? v.toFixed(4) : v.toFixed(2));
  const ratio = (v: number, b: number) => (v / b < 0.1 ? (v / b).toFixed(3) : (v / b).toFixed(2));
  console.log(`SDK on a local testnet (loopback), ${runs} runs after ${warmup} warm-up rounds, operations interleaved.\n`);
  console.log('| operation | p50 ms | p99 ms | p50 × baseline | p99 × baseline |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [k, op] of ops.entries()) {
    console.log(
      `| ${op.name} | ${ms(stats[k].p50)} | ${ms(stats[k].p99)} | ${ratio(stats[k].p50, base.p50)} | ${ratio(stats[k].p99, base.p99)} |`,
    );
  }
} finally {
  await net.close();
}
