// npm run pack: builds, then packs each published package as an installable tarball.
//
// In the repository every package.json points at TypeScript source (tsx runs it, nothing needs
// building). A tarball gets a manifest rewritten for installed users instead: `exports`/`imports`
// point at dist/*.js with their .d.ts (the same conditions kept, `browser` included), `private`
// and devDependencies dropped. Each package is staged in .pack/<name>/ (dist, bin, README,
// CHANGELOG, and the files a package names in `pack.files`) and packed there with `npm pack`, so
// the package.json files in the repository are never edited.
//
//   npm run pack                       tarballs in .pack/
//   npm run pack -- --out <dir>        tarballs in <dir>
//   npm run pack -- --no-build         reuse an existing build
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, publishedPackages, ROOT } from './build.mjs';
import { BUNDLED, bundledTarget, bundleSdkPackage } from './bundle-sdk.mjs';

/** `./src/a/b.ts` → `{ types: './dist/a/b.d.ts', default: './dist/a/b.js' }` (or `leaf`'s answer), through condition objects. */
export function toDist(target, leaf = perFileTarget) {
  if (typeof target === 'string') return leaf(target);
  if (target && typeof target === 'object') {
    return Object.fromEntries(Object.entries(target).map(([k, v]) => [k, toDist(v, leaf)]));
  }
  return target;
}

function perFileTarget(target) {
  const m = /^\.\/src\/(.+)\.ts$/.exec(target);
  return m ? { types: `./dist/${m[1]}.d.ts`, default: `./dist/${m[1]}.js` } : target;
}

/** A bundled package's `imports` only serve its .d.ts files: the bundles resolved them already. */
function typesOnlyTarget(target) {
  const m = /^\.\/src\/(.+)\.ts$/.exec(target);
  return m ? { types: `./dist/${m[1]}.d.ts` } : target;
}

/** The manifest an installed user gets. */
export function publishedManifest(manifest) {
  const { private: _private, devDependencies: _dev, scripts: _scripts, pack, ...rest } = manifest;
  const out = { ...rest };
  const bundled = BUNDLED.has(manifest.name);
  if (out.exports) out.exports = toDist(out.exports, bundled ? bundledTarget : perFileTarget);
  if (out.imports) out.imports = toDist(out.imports, bundled ? typesOnlyTarget : perFileTarget);
  out.engines = { node: '>=20.19' };
  out.files = undefined; // the staging directory holds exactly what ships
  return JSON.parse(JSON.stringify(out));
}

export async function pack({ out = join(ROOT, '.pack'), skipBuild = false } = {}) {
  if (!skipBuild) build();
  mkdirSync(out, { recursive: true });
  const tarballs = [];
  for (const { dir, manifest } of publishedPackages()) {
    if (!existsSync(join(dir, 'dist'))) throw new Error(`${manifest.name} has no dist/: run npm run build`);
    const stage = join(ROOT, '.pack', 'stage', manifest.name.replace('/', '__'));
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
    cpSync(join(dir, 'dist'), join(stage, 'dist'), { recursive: true });
    if (BUNDLED.has(manifest.name)) await bundleSdkPackage(dir, manifest, join(stage, 'dist'));
    for (const extra of ['bin', 'README.md', ...(manifest.pack?.files ?? [])]) {
      if (existsSync(join(dir, extra))) cpSync(join(dir, extra), join(stage, extra), { recursive: true });
    }
    cpSync(join(ROOT, 'CHANGELOG.md'), join(stage, 'CHANGELOG.md'));
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(publishedManifest(manifest), null, 2)}\n`);
    const r = spawnSync('npm', ['pack', '--json', '--pack-destination', resolve(out)], { cwd: stage, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm pack of ${manifest.name} failed:\n${r.stderr}`);
    const [info] = JSON.parse(r.stdout);
    tarballs.push({ name: manifest.name, file: join(resolve(out), info.filename), size: info.size, unpackedSize: info.unpackedSize });
  }
  rmSync(join(ROOT, '.pack', 'stage'), { recursive: true, force: true });
  return tarballs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  try {
    const tarballs = await pack({
      out: outAt >= 0 ? resolve(process.env.INIT_CWD ?? '.', args[outAt + 1]) : undefined,
      skipBuild: args.includes('--no-build'),
    });
    for (const t of tarballs) console.log(`${t.file}\t${t.size} bytes`);
  } catch (e) {
    console.error(`pack: ${e.message}`);
    process.exitCode = 1;
  }
}
