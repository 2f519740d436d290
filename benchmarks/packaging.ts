// Benchmark: what an app developer installs and loads for the SDK, ours next to the official
// @synonymdev/pubky 0.6.0, measured the same way in the same run.
//
//   tarball, gzipped        the .tgz npm downloads: ours is @pubky-ts/client alone and with the two
//                           workspace packages it needs (common, pkarr), from `npm run pack`; the
//                           official one is `npm pack @synonymdev/pubky@0.6.0` (from npm's cache)
//   installed, on disk      node_modules after `npm install` of the SDK alone in an empty project
//                           (ours pulls @noble/*, hash-wasm, age-encryption… from the registry)
//   browser bundle          esbuild --bundle --minify --platform=browser of `import * as sdk`, gzipped
//                           (the official bundle inlines its WASM)
//   import in Node          a fresh `node` process that imports the SDK, wall time minus the same
//                           process importing nothing (baseline), median of N alternating runs
//
//   npm run bench -- packaging      or      node --import tsx benchmarks/packaging.ts [--runs 15]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 15;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');

const work = mkdtempSync(join(tmpdir(), 'pubky-bench-packaging-'));
function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}
function duSync(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const s = statSync(full);
    total += s.isDirectory() ? duSync(full) : s.size;
  }
  return total;
}
const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

try {
  // Ours, packed; theirs, from npm's cache.
  const tarballs = join(work, 'tarballs');
  sh(
    process.execPath,
    [join(ROOT, 'scripts/pack.mjs'), '--out', tarballs, ...(process.argv.includes('--no-build') ? ['--no-build'] : [])],
    ROOT,
  );
  sh('npm', ['pack', '@synonymdev/pubky@0.6.0', '--prefer-offline', '--pack-destination', tarballs], work);
  const size = (f: string) => statSync(join(tarballs, f)).size;
  const oursClient = size('pubky-ts-client-0.1.0.tgz');
  const oursSdk = oursClient + size('pubky-ts-common-0.1.0.tgz') + size('pubky-ts-pkarr-0.1.0.tgz');
  const theirs = size('synonymdev-pubky-0.6.0.tgz');

  const project = (name: string, deps: string[]) => {
    const dir = join(work, name);
    sh('mkdir', ['-p', dir], work);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
    sh('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', ...deps], dir);
    return dir;
  };
  const ours = project(
    'ours',
    ['common', 'pkarr', 'client'].map((p) => join(tarballs, `pubky-ts-${p}-0.1.0.tgz`)),
  );
  const official = project('official', [join(tarballs, 'synonymdev-pubky-0.6.0.tgz')]);

  const bundle = async (dir: string, pkg: string) => {
    writeFileSync(join(dir, 'entry.mjs'), `import * as sdk from '${pkg}';\nglobalThis.sdk = sdk;\n`);
    const r = await build({
      absWorkingDir: dir,
      entryPoints: ['entry.mjs'],
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      loader: { '.wasm': 'binary' },
    });
    return gzipSync(r.outputFiles[0].contents).length;
  };
  const bundleOurs = await bundle(ours, '@pubky-ts/client');
  const bundleTheirs = await bundle(official, '@synonymdev/pubky');

  // Import time: fresh processes, alternating, baseline first in each round.
  const time = (dir: string, code: string) => {
    const t0 = process.hrtime.bigint();
    sh(process.execPath, ['--input-type=module', '-e', code], dir);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const base: number[] = [];
  const mine: number[] = [];
  const them: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const b = time(ours, 'void 0');
    const m = time(ours, "await import('@pubky-ts/client')");
    const t = time(official, "await import('@synonymdev/pubky')");
    if (i < 2) continue; // warm the file cache
    base.push(b);
    mine.push(m);
    them.push(t);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const b = median(base);
  const m = median(mine) - b;
  const t = median(them) - b;

  const ratio = (a: number, z: number) => (a / z).toFixed(2);
  console.log('| measure | @pubky-ts/client | @synonymdev/pubky 0.6.0 | ours / official |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| tarball, gzipped (client alone) | ${kb(oursClient)} | ${kb(theirs)} | ${ratio(oursClient, theirs)} |`);
  console.log(`| tarballs, gzipped (client + common + pkarr) | ${kb(oursSdk)} | ${kb(theirs)} | ${ratio(oursSdk, theirs)} |`);
  console.log(
    `| installed node_modules, on disk | ${kb(duSync(join(ours, 'node_modules')))} | ${kb(duSync(join(official, 'node_modules')))} | ${ratio(duSync(join(ours, 'node_modules')), duSync(join(official, 'node_modules')))} |`,
  );
  console.log(`| browser bundle, minified + gzipped | ${kb(bundleOurs)} | ${kb(bundleTheirs)} | ${ratio(bundleOurs, bundleTheirs)} |`);
  console.log(
    `| import in Node, ms (median of ${runs}, minus ${b.toFixed(0)} ms of bare node) | ${m.toFixed(1)} | ${t.toFixed(1)} | ${ratio(m, t)} |`,
  );
  const pkg = JSON.parse(readFileSync(join(ours, 'node_modules/@pubky-ts/client/package.json'), 'utf8'));
  console.log(
    `\n(ours: ${pkg.name}@${pkg.version} from npm run pack of this checkout; the machine is shared, so only the ratios mean much)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
