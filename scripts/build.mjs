// npm run build: every package's src/ compiled by tsc to packages/<pkg>/dist (JavaScript, .d.ts,
// source maps with the sources inlined). One tsc program over all packages, so cross-package types
// check as in `npm run typecheck`; its output (.build/<pkg>/src) is then moved to each package's dist.
// The repository itself keeps running from source through tsx: nothing imports dist.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAGE = join(ROOT, '.build');

/** The workspaces that ship (compat is test-only), in the root package.json's order. */
export function publishedPackages() {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return root.workspaces
    .map((w) => ({ dir: join(ROOT, w), manifest: JSON.parse(readFileSync(join(ROOT, w, 'package.json'), 'utf8')) }))
    .filter((p) => p.manifest.name !== '@pubky-ts/compat' && existsSync(join(p.dir, 'src')));
}

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else yield full;
  }
}

/** A moved map's `sources` still point from .build/<pkg>/src; make them relative to dist again. */
function fixSourceMaps(fromDir, toDir) {
  for (const file of files(toDir)) {
    if (!file.endsWith('.map')) continue;
    const map = JSON.parse(readFileSync(file, 'utf8'));
    const oldDir = dirname(join(fromDir, relative(toDir, file)));
    map.sources = map.sources.map((s) => relative(dirname(file), resolve(oldDir, s)));
    writeFileSync(file, JSON.stringify(map));
  }
}

export function build({ quiet = false } = {}) {
  const started = Date.now();
  rmSync(STAGE, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status}); fix the errors above`);
  const built = [];
  for (const { dir, manifest } of publishedPackages()) {
    const from = join(STAGE, relative(join(ROOT, 'packages'), dir), 'src');
    const to = join(dir, 'dist');
    rmSync(to, { recursive: true, force: true });
    renameSync(from, to);
    fixSourceMaps(from, to);
    built.push(manifest.name);
  }
  rmSync(STAGE, { recursive: true, force: true });
  if (!quiet) console.error(`built ${built.length} packages in ${((Date.now() - started) / 1000).toFixed(1)} s: ${built.join(', ')}`);
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    build();
  } catch (e) {
    console.error(`build: ${e.message}`);
    process.exitCode = 1;
  }
}
