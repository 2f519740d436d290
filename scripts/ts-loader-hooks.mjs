// The load hook of scripts/ts-loader.mjs (runs on Node's loader thread).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cacheDir = fileURLToPath(new URL('../node_modules/.cache/pubky-ts-loader/', import.meta.url));
const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline' };
let esbuild; // loaded on the first cache miss only: most runs never need it
let cacheReady = false;

async function transform(path, source) {
  esbuild ??= await import('esbuild');
  return esbuild.transformSync(source, { ...OPTIONS, sourcefile: path }).code;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = readFileSync(path, 'utf8');
  const key = createHash('sha1').update(JSON.stringify(OPTIONS)).update('\0').update(path).update('\0').update(source).digest('hex');
  const cached = `${cacheDir}${key}.js`;
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    code = await transform(path, source);
    try {
      if (!cacheReady) mkdirSync(cacheDir, { recursive: true }), (cacheReady = true);
      const tmp = `${cached}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, cached); // whole files only: several processes fill the cache at once
    } catch {
      // a read-only tree only costs the next start-up its transform
    }
  }
  return { format: 'module', source: code, shortCircuit: true };
}
