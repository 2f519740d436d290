import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubkyError, readErrorSection, renderErrorTable } from '@pubky-ts/common';
import { parseCommandArgs } from './args.ts';
import { CLI_ERROR_DOCS, CLI_ERRORS, CliError, type CliErrorCode } from './cli-error.ts';
import { commands } from './commands/index.ts';

test('every CLI error code is lower_snake and names its exit code', () => {
  for (const [code, summary] of Object.entries(CLI_ERRORS)) {
    assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, code);
    assert.match(summary, /^exit [12]: /, code);
  }
  const usage = new CliError('x');
  assert.ok(usage instanceof PubkyError);
  assert.deepEqual([usage.code, usage.exitCode], ['usage', 2]);
  assert.deepEqual([new CliError('x', 1).code, new CliError('x', 1, 'no_session').code], ['failed', 'no_session']);
});

test('the README table is the one the catalogue renders (npm run docs:errors rewrites it)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.equal(readErrorSection(readme), renderErrorTable(CLI_ERROR_DOCS), 'stale: run npm run docs:errors');
});

/** Runs a command as main does, without the printing, and returns the CliError it throws. */
async function failure(argv: string[]): Promise<CliError> {
  const [name, ...rest] = argv;
  const command = await commands.find((c) => c.name === name)!.load();
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    await command.run(values, positionals);
  } catch (e) {
    assert.ok(e instanceof CliError, String(e));
    return e;
  }
  assert.fail(`${argv.join(' ')} did not fail`);
}

test('real command-line failures carry catalogued codes and exit codes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-errors-'));
  writeFileSync(join(dir, 'damaged.json'), '{not json');
  try {
    const cases: Array<[string[], CliErrorCode, number]> = [
      [['get'], 'usage', 2],
      [['get', '--no-such-flag', '/pub/x'], 'usage', 2],
      [['get', '/pub/x', '--session-file', join(dir, 'none.json')], 'no_session', 1],
      [['get', '/pub/x', '--session-file', join(dir, 'damaged.json')], 'failed', 1],
      [['import'], 'usage', 2],
    ];
    for (const [argv, code, exit] of cases) {
      const e = await failure(argv);
      assert.deepEqual([e.code, e.exitCode], [code, exit], `${argv.join(' ')}: ${e.message}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
