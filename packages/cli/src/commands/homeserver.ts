import { HomeserverStartError, loadConfig, pkarrPublisher, startHomeserver } from '@pubky-ts/homeserver';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { serveUntilSignal } from '../run-until-signal.ts';

export const homeserver: Command = {
  name: 'homeserver',
  usage: `pubky homeserver [--data-dir <dir>] [--config <file>] [--set <table.key>=<value>]… [--no-publish]

Runs a homeserver until Ctrl-C (in-flight writes finish first). Settings come from the built-in
defaults, then <data dir>/config.toml (or --config), then PUBKY_* environment variables, then flags.
Every setting and its default is in packages/homeserver/config.sample.toml.

      --data-dir <dir>      data directory (default ~/.pubky): config.toml, secret, database, blobs
      --config <file>       config file
      --no-publish          do not publish the homeserver's PKARR packet (offline use)
  Any other flag is passed to the config loader; see packages/homeserver/README.md.`,
  options: {},
  allowPositionals: true,
  run: (_values, positionals) => runHomeserver(positionals),
  runRaw: (argv) => runHomeserver(argv),
};

/** The homeserver's flags belong to its config loader, so this command passes its argv through. */
async function runHomeserver(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(homeserver.usage);
    return 0;
  }
  const noPublish = argv.includes('--no-publish');
  const config = loadConfig({ argv: argv.filter((a) => a !== '--no-publish') });
  let running;
  try {
    running = await startHomeserver(config, noPublish ? {} : { publisher: pkarrPublisher() });
  } catch (e) {
    if (e instanceof HomeserverStartError) throw new CliError(e.message, 1);
    throw e;
  }
  console.log(`homeserver ${running.publicKey.z32}`);
  console.log(`  client API  ${running.url}`);
  if (running.adminUrl) console.log(`  admin API   ${running.adminUrl}`);
  return serveUntilSignal('homeserver', () => running.close());
}
