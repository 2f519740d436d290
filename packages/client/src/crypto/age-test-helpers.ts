// Test support for the age tests: the age CLI (Debian's, installed by scripts/ensure-tools.sh) and byte helpers.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { ByteSource } from './age-file.ts';

export const AGE = process.env.PUBKY_AGE ?? '/usr/bin/age';

export function requireAgeCli(): void {
  if (!existsSync(AGE)) assert.fail(`the age CLI is missing at ${AGE}: run scripts/ensure-tools.sh (as root) to install it with apt`);
}

/** Runs the age CLI with stdin, resolving with stdout (rejecting with stderr on a non-zero exit). */
export function runAge(args: string[], input: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = execFile(AGE, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`age ${args.join(' ')}: ${String(stderr)}`));
      else resolve(new Uint8Array(stdout));
    });
    child.stdin!.end(input);
  });
}

export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A byte source over memory that counts what it was asked for. */
export function memorySource(bytes: Uint8Array): ByteSource & { reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return {
    reads,
    size: async () => bytes.length,
    read: async (offset, length) => {
      reads.push([offset, length]);
      return bytes.slice(offset, offset + length);
    },
  };
}
