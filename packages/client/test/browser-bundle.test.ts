// The SDK must bundle for browsers: no `node:` module anywhere in the graph, the browser platform file
// chosen through the `#platform` condition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'esbuild';

test('bundles for the browser without any node: import', async () => {
  const result = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['browser'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.deepEqual(
    inputs.filter((i) => i.startsWith('node:') || /-node\.ts$|\/node\.ts$/.test(i)),
    [],
  );
  assert.ok(
    inputs.some((i) => i.endsWith('packages/client/src/platform-browser.ts')),
    'browser platform selected',
  );
  assert.ok(!inputs.some((i) => i.endsWith('platform-node.ts')));
  const bytes = result.outputFiles[0].contents.length;
  assert.ok(bytes > 10_000 && bytes < 2_000_000, `bundle size ${bytes}`);
});
