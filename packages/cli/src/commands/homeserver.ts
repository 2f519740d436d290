import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HomeserverStartError, loadConfig, pkarrPublisher, startHomeserver } from '@pubky-ts/homeserver';
import { testnetHomeserverTable } from '@pubky-ts/testnet';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { fetchSignupToken } from '../signup-token.ts';
import { serveUntilSignal } from '../run-until-signal.ts';

export const homeserver: Command = {
  name: 'homeserver',
  usage: `pubky homeserver [--data-dir <dir>] [--config <file>] [--set <table.key>=<value>]… [--no-publish] [--testnet]

Runs a homeserver until Ctrl-C (in-flight writes finish first). Settings come from the built-in
defaults, then <data dir>/config.toml (or --config), then PUBKY_* environment variables, then flags.
Every setting and its default is in packages/homeserver/config.sample.toml.

      --data-dir <dir>      data directory (default ~/.pubky): config.toml, secret, database, blobs
      --config <file>       config file
      --set <t.k>=<v>       one setting, e.g. --set general.signup_mode=open (repeatable)
      --no-publish          do not publish the homeserver's PKARR packet (offline use)
      --testnet             join the local network of \`npm start\` as one more homeserver: free
                            loopback ports, published through its relay and DHT, a temporary data
                            directory unless --data-dir, and a signup token printed
  Any other flag is passed to the config loader; see packages/homeserver/README.md.

  pubky homeserver doctor [--data-dir <dir>] …                  check this machine's set-up, in words
                                                                (pubky homeserver doctor --help)
  pubky homeserver --testnet                                    a second homeserver to migrate to
  pubky homeserver --testnet --set general.signup_mode=open     …that needs no signup token`,
  options: {},
  allowPositionals: true,
  run: (_values, positionals) => runHomeserver(positionals),
  runRaw: (argv) => runHomeserver(argv),
};

/** The homeserver's flags belong to its config loader, so this command passes its argv through. */
async function runHomeserver(argv: string[]): Promise<number> {
  if (argv[0] === 'doctor') return (await import('./homeserver-doctor.ts')).runHomeserverDoctor(argv.slice(1));
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(homeserver.usage);
    return 0;
  }
  const noPublish = argv.includes('--no-publish');
  const testnet = argv.includes('--testnet');
  const rest = argv.filter((a) => a !== '--no-publish' && a !== '--testnet');
  const ownDataDir = rest.some((a) => a === '--data-dir' || a.startsWith('--data-dir=')) || Boolean(process.env.PUBKY_DATA_DIR);
  const tempDir = testnet && !ownDataDir ? mkdtempSync(join(tmpdir(), 'pubky-homeserver-')) : null;
  const removeTemp = () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  let running;
  let config;
  try {
    config = loadConfig({
      argv: tempDir ? ['--data-dir', tempDir, ...rest] : rest,
      overrides: testnet ? testnetHomeserverTable() : undefined,
    });
    running = await startHomeserver(config, noPublish ? {} : { publisher: pkarrPublisher() });
  } catch (e) {
    removeTemp();
    if (e instanceof HomeserverStartError) {
      const hint = testnet && /publish|relay|DHT/i.test(e.message) ? '\nIs the testnet running? Start it with `npm start`.' : '';
      throw new CliError(`${e.message}${hint}`, 1);
    }
    throw e;
  }
  console.log(`homeserver ${running.publicKey.z32}`);
  console.log(`  client API  ${running.url}`);
  if (running.adminUrl) console.log(`  admin API   ${running.adminUrl}`);
  if (tempDir) console.log(`  data        ${tempDir} (temporary)`);
  if (testnet && running.adminUrl && config.general.signupMode === 'token_required') {
    const token = await fetchSignupToken(running.adminUrl, config.admin.password).catch((e: Error) => `(none: ${e.message})`);
    console.log(`  signup token ${token}  (single-use; more: pubky admin token --admin-url ${running.adminUrl})`);
  }
  return serveUntilSignal('homeserver', async () => {
    await running.close();
    removeTemp();
  });
}
