// Runs the real `pubky` command as a child process (node packages/cli/src/main.ts … on the test suite's
// TypeScript loader, scripts/ts-loader.mjs: the CLI tests start about a hundred of them).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Testnet } from '@pubky-ts/testnet';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TS_LOADER = new URL('../../../scripts/ts-loader.mjs', import.meta.url).href;

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  out: string;
  err: string;
}

export interface CliOptions {
  input?: Uint8Array | string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** A scratch directory used as HOME, holding key files and the session file. */
export function scratch(): { dir: string; sessionFile: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pubky-cli-test-'));
  return { dir, sessionFile: join(dir, 'sessions.json'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function spawnCli(args: string[], options: CliOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', TS_LOADER, MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, PUBKY_PASSPHRASE: undefined, PUBKY_SESSION_FILE: undefined, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs `pubky <args>` to completion. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, out: stdout.toString('utf8'), err: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Resolves with the first stdout line of a running child. */
export function firstLine(child: ChildProcessWithoutNullStreams, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no output line within ${timeoutMs} ms`)), timeoutMs);
    const onData = (b: Buffer) => {
      buf += b.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(buf.slice(0, nl));
      }
    };
    child.stdout.on('data', onData);
  });
}

/** The network flags that point the CLI at an in-process testnet on random ports. */
export function netArgs(net: Testnet): string[] {
  return ['--relay', net.pkarrRelay.url, ...net.bootstrap.slice(0, 1).flatMap((b) => ['--bootstrap', b])];
}

/** Describes a result for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.out.slice(0, 2000)}\n--- stderr\n${r.err.slice(0, 2000)}`;
}
