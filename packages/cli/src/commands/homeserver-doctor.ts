import { formatDoctorReport, loadConfig, runDoctor } from '@pubky-ts/homeserver';
import { CliError } from '../cli-error.ts';

export const DOCTOR_USAGE = `pubky homeserver doctor [--data-dir <dir>] [--config <file>] [--set <table.key>=<value>]… [--offline] [--json]

Checks, from this machine, what a homeserver on the internet needs, with the settings the homeserver
itself would use: the data directory and its free space, the key file and its mode, the database and
its schema, the listen sockets, the admin password, the published address, the domain and HTTPS through
it, the PKARR packet on the relays and on the DHT (does it name the domain and ports of the config?),
and the DHT bootstrap nodes. Each finding comes with what to do. Exit 0 when nothing failed (warnings
allowed), 1 otherwise.

      --offline   only the checks of this machine (no DNS, HTTPS, relays or DHT)
      --json      the findings as JSON on stdout
      --timeout <ms>  per network probe (default 5000)`;

/** `pubky homeserver doctor …`: the config flags go to the same loader the homeserver uses. */
export async function runHomeserverDoctor(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(DOCTOR_USAGE);
    return 0;
  }
  const offline = argv.includes('--offline');
  const json = argv.includes('--json');
  let timeoutMs: number | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--offline' || a === '--json') continue;
    if (a === '--timeout') {
      timeoutMs = Number(argv[++i]);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
        throw new CliError(`--timeout needs a number of milliseconds, got ${JSON.stringify(argv[i])}`, 2);
      continue;
    }
    rest.push(a);
  }
  const config = loadConfig({ argv: rest });
  const report = await runDoctor(config, { offline, timeoutMs });
  console.log(json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
  return report.ok ? 0 : 1;
}
