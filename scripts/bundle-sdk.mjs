// The SDK packages (common, pkarr, client) ship as a few bundled files instead of ~150 small modules:
// resolving and reading each module was a quarter of the SDK's import time in Node
// (`npm run bench -- packaging`). esbuild bundles each package's `exports` entry points from
// source, once for Node and once with the `browser` condition (its `#platform`-style imports
// resolved at bundle time), with shared chunks so a class such as PubkyError exists once per
// package. Other packages stay external (one copy each in node_modules); tsc's .d.ts stay as the
// types. Servers (homeserver, relay, …) keep tsc's per-file output: they read files next to their
// modules and start once.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const BUNDLED = new Set(['@pubky-ts/common', '@pubky-ts/pkarr', '@pubky-ts/client']);

/** Every `./src/<x>.ts` leaf of an exports map. */
function entryPoints(exportsMap, out = new Set()) {
  if (typeof exportsMap === 'string') {
    if (/^\.\/src\/.+\.ts$/.test(exportsMap)) out.add(exportsMap);
  } else if (exportsMap && typeof exportsMap === 'object') {
    for (const v of Object.values(exportsMap)) entryPoints(v, out);
  }
  return out;
}

function removeJs(dir) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) removeJs(full);
    else if (name.endsWith('.js') || name.endsWith('.js.map')) rmSync(full);
  }
}

/** Replaces tsc's per-file JavaScript in `stageDist` by Node and browser bundles of `sourceDir`'s entries. */
export async function bundleSdkPackage(packageDir, manifest, stageDist) {
  removeJs(stageDist);
  const entries = [...entryPoints(manifest.exports)].map((e) => join(packageDir, e));
  const common = {
    absWorkingDir: packageDir,
    entryPoints: entries,
    outbase: join(packageDir, 'src'),
    bundle: true,
    splitting: true,
    format: 'esm',
    packages: 'external',
    target: 'es2022',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  };
  // Node bundles carry source maps with their sources (stack traces point into src/); the browser
  // bundles are inputs to an app's bundler and ship without, to keep the tarball small.
  await build({ ...common, platform: 'node', sourcemap: true, sourcesContent: true, outdir: stageDist });
  await build({ ...common, platform: 'browser', conditions: ['browser'], outdir: join(stageDist, 'browser') });
}

/** The exports leaf of a bundled package: types from tsc, code from the bundles. */
export function bundledTarget(target) {
  const m = /^\.\/src\/(.+)\.ts$/.exec(target);
  if (!m) return target;
  return { types: `./dist/${m[1]}.d.ts`, browser: `./dist/browser/${m[1]}.js`, default: `./dist/${m[1]}.js` };
}
