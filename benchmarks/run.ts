// `npm run bench [-- name…]`: runs each benchmark script in its own process, one after the other
// (they share 2 cores, so never in parallel), and prints their tables.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

let failed = 0;
for (const script of scripts) {
  console.log(`\n## ${script.replace(/\.ts$/, '')}\n`);
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(here, script)], { stdio: 'inherit' });
  console.log(`\n(${script} took ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${res.status})`);
  if (res.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
