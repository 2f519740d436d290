#!/usr/bin/env node
// The `pubky` command: one subcommand per file in ./commands.
import { statSync } from 'node:fs';
import { PubkyError } from '@pubky-ts/common';
import { parseCommandArgs, type Command } from './args.ts';
import { CliError } from './cli-error.ts';
import { commands } from './commands/index.ts';
import { NETWORK_ENV, networkHint } from './network-options.ts';

/** The exit codes every command keeps to (also in `pubky --help`). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `pubky: Pubky Core in TypeScript

Usage: pubky <command> [options]   (pubky <command> --help for details)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Network: the public Mainline DHT and relays by default. For the local network of \`npm start\`,
add --testnet to each command, or once per shell:  export ${NETWORK_ENV}=testnet

Environment:
  ${NETWORK_ENV}         mainnet (default) or testnet; --testnet / --network override it
  PUBKY_SESSION_FILE    where signup/login save sessions (default ~/.pubky/cli-sessions.json)
  PUBKY_PASSPHRASE      passphrase of recovery files (else --passphrase or a prompt)
  PUBKY_DEBUG=1         print the stack of unexpected errors

Output: data goes to stdout, progress and notes to stderr, so \`pubky get … > file\` is the file.

Exit codes: ${EXIT.ok} done, ${EXIT.failed} failed (network, homeserver, not found, no session), ${EXIT.usage} bad usage,
            ${EXIT.interrupted} interrupted (Ctrl-C)
`;
}

/** One line for an error, with what to do when the error suggests the wrong network. */
function report(command: string, message: string, values: Record<string, unknown>): void {
  const hint = networkHint(values, message);
  console.error(`pubky ${command}: ${message}${hint ? `\n${hint}` : ''}`);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    console.error(usage());
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return EXIT.ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`pubky: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return EXIT.usage;
  }
  const command: Command = await entry.load();
  let values: Record<string, unknown> = {};
  try {
    if (command.runRaw) return await command.runRaw(rest);
    const parsed = parseCommandArgs(command, rest);
    values = parsed.values;
    if (values.help) {
      console.log(command.usage);
      return EXIT.ok;
    }
    return (await command.run(values, parsed.positionals)) ?? EXIT.ok;
  } catch (e) {
    if (e instanceof CliError) {
      report(command.name, e.message, values);
      return e.exitCode;
    }
    if (e instanceof PubkyError) {
      report(command.name, `${e.message} (${e.code})`, values);
      return EXIT.failed;
    }
    // Not ours (a bug or the system): one line, the stack only on request.
    const err = e as Error;
    report(command.name, err?.message ?? String(e), values);
    if (process.env.PUBKY_DEBUG) console.error(err?.stack ?? e);
    else console.error('(unexpected error; PUBKY_DEBUG=1 shows where it came from)');
    return EXIT.failed;
  }
}

/**
 * Under `npm run pubky` / `npm start` npm runs the command in the repository root; relative paths
 * the user typed mean the directory they typed them in, which npm passes as INIT_CWD.
 */
export function workingDirectoryFromNpm(env: NodeJS.ProcessEnv = process.env): string | null {
  const event = env.npm_lifecycle_event;
  const dir = env.INIT_CWD;
  if (!dir || (event !== 'pubky' && event !== 'start')) return null;
  try {
    return statSync(dir).isDirectory() ? dir : null;
  } catch {
    return null;
  }
}

/** What the `pubky` executable runs: the process's arguments in, its exit code out. */
export async function runFromCommandLine(): Promise<void> {
  const dir = workingDirectoryFromNpm();
  if (dir && dir !== process.cwd()) process.chdir(dir);
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    console.error(process.env.PUBKY_DEBUG ? e : `pubky: ${(e as Error)?.message ?? e}`);
    process.exitCode = EXIT.failed;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void runFromCommandLine();
