// The import rules hold in this repository, and the check finds what breaks them (on a small
// repository made up for the purpose: a forbidden arrow, a circle, a node: import in common).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { checkImports } from './check-imports.mjs';

const root = join(import.meta.dirname, '..');

test('this repository keeps its import rules: arrows down the table, no circle, no node: in browser code', () => {
  assert.deepEqual(checkImports(root), []);
});

test('the check reports a forbidden arrow, a circle and a node: import in common', () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-imports-'));
  try {
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    const manifest = (name: string, deps: string[] = []) =>
      JSON.stringify({
        name: `@pubky-ts/${name}`,
        exports: { '.': './src/index.ts' },
        dependencies: Object.fromEntries(deps.map((d) => [`@pubky-ts/${d}`, '0.1.0'])),
      });
    write('packages/common/package.json', manifest('common'));
    write('packages/common/src/index.ts', "export * from './a.ts';\n");
    write('packages/common/src/a.ts', "import { b } from './b.ts';\nimport { readFileSync } from 'node:fs';\nexport const a = 1;\n");
    write(
      'packages/common/src/b.ts',
      "// import { nothing } from './nowhere.ts' (a comment is no import)\nimport { a } from './a.ts';\nexport const b = a;\n",
    );
    write('packages/common/src/fs-node.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n");
    write('packages/client/package.json', manifest('client', ['common', 'homeserver']));
    write(
      'packages/client/src/index.ts',
      "import { x } from '@pubky-ts/homeserver';\nimport { a } from '@pubky-ts/common';\nexport const y = () => import('../../homeserver/src/index.ts');\n",
    );
    write('packages/homeserver/package.json', manifest('homeserver', ['common']));
    write('packages/homeserver/src/index.ts', 'export const x = 1;\n');
    const problems = checkImports(dir);
    const has = (pattern: RegExp) =>
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `${pattern} in:\n${problems.join('\n')}`,
      );
    has(/^packages\/client\/package.json: dependencies lists @pubky-ts\/homeserver, but client may import only common, pkarr$/);
    has(/^packages\/client\/src\/index.ts: imports @pubky-ts\/homeserver \(package homeserver\)/);
    has(/^packages\/client\/src\/index.ts: imports \.\.\/\.\.\/homeserver\/src\/index.ts \(package homeserver\)/);
    has(/^import circle of 2 files: packages\/common\/src\/a.ts → packages\/common\/src\/b.ts$/);
    has(/^packages\/common\/src\/a.ts: imports node:fs, but common must bundle for browsers/);
    assert.equal(problems.length, 5, problems.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
