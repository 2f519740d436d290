#!/usr/bin/env node
// The `pubky` command: one subcommand per file in ./commands.
import { PubkyError } from '@pubky-ts/common';
import { parseCommandArgs, type Command } from './args.ts';
import { CliError } from './cli-error.ts';
import { commands } from './commands/index.ts';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `pubky: Pubky Core in TypeScript

Usage: pubky <command> [options]   (pubky <command> --help for details)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`pubky: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const command: Command = await entry.load();
  try {
    if (command.runRaw) return await command.runRaw(rest);
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      console.log(command.usage);
      return 0;
    }
    return (await command.run(values, positionals)) ?? 0;
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`pubky ${command.name}: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof PubkyError) {
      console.error(`pubky ${command.name}: ${e.message} (${e.code})`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
