import { PublicKey } from '@pubky-ts/common';
import { openDatabase, IndexReader, startIndexer, verifyIndex } from '@pubky-ts/indexer';
import { intOption, listOption, type Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { serveUntilSignal } from '../run-until-signal.ts';
import { networkOptions, networkUsage } from '../network-options.ts';
import { clientOptions, openClient } from '../session-file.ts';

function hostPort(value: unknown): { host: string; port: number } {
  const text = String(value ?? '127.0.0.1:6290');
  const m = /^(.+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new CliError(`--listen must be <host>:<port>, got ${JSON.stringify(text)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export const indexer: Command = {
  name: 'indexer',
  usage: `pubky indexer --homeserver <key>… [--db <file>] [--listen <host:port>] [--no-discover] [--poll-ms <n>]
pubky indexer verify [--db <file>] [--sample <n>] [--user <key>]…

Runs the pubky.app indexer: follows the homeservers' event feeds (and the homeservers it discovers
through its users' PKARR records), keeps the social graph in a SQLite file and serves it over HTTP
(routes: GET /openapi.json; status: GET /status). Prints "indexer API: <url>" once it listens and
logs JSON lines to stderr. Stopped (or killed) at any moment, it resumes where it left off.

\`verify\` recomputes a sample of users from their homeservers and reports drift from the index
(exit code 1 when there is any).

      --homeserver <key>    a homeserver to follow (repeatable; the database remembers earlier ones)
      --db <file>           the index (default ./pubky-index.sqlite)
      --listen <host:port>  API address (default 127.0.0.1:6290; port 0 = any free port)
      --no-discover         follow only the given homeservers
      --poll-ms <n>         wait between polls of a caught-up homeserver (default 200)
      --page-size <n>       events per feed page and transaction (default 500, at most 1000)
      --sample <n>          verify: users to check (default 50)
      --user <key>          verify: check this user (repeatable)
${networkUsage}

Exit codes: 0 done (verify: no drift), 1 failed (verify: drift found), 2 bad usage.`,
  options: {
    homeserver: { type: 'string', multiple: true },
    db: { type: 'string' },
    listen: { type: 'string' },
    'no-discover': { type: 'boolean' },
    'poll-ms': { type: 'string' },
    'page-size': { type: 'string' },
    sample: { type: 'string' },
    user: { type: 'string', multiple: true },
    ...networkOptions,
    'http-relay': clientOptions['http-relay'],
  },
  allowPositionals: true,
  async run(values, positionals) {
    const sub = positionals[0];
    if (positionals.length > 1 || (sub !== undefined && sub !== 'verify'))
      throw new CliError('the only subcommand is `verify`; run `pubky indexer --help`');
    const database = (values.db as string | undefined) ?? 'pubky-index.sqlite';
    const keys = (list: unknown, what: string) =>
      listOption(list).map((k) => {
        const key = PublicKey.tryParse(k);
        if (!key) throw new CliError(`--${what} ${JSON.stringify(k.slice(0, 80))} is not a public key`);
        return key.z32;
      });
    const ctx = await openClient(values);
    if (sub === 'verify') {
      try {
        const db = openDatabase(database);
        try {
          const users = keys(values.user, 'user');
          const report = await verifyIndex(new IndexReader(db), ctx.pubky, {
            sample: intOption(values.sample, 'sample', { min: 1, max: 100_000 }),
            users: users.length ? users : undefined,
          });
          console.log(JSON.stringify(report, null, 2));
          console.error(
            `checked ${report.checkedUsers} users, ${report.checkedRecords} records: ${report.drift.length} drifted, ${report.unreachable.length} unreachable`,
          );
          return report.drift.length > 0 ? 1 : 0;
        } finally {
          db.close();
        }
      } finally {
        await ctx.close();
      }
    }
    const homeservers = keys(values.homeserver, 'homeserver');
    const running = await startIndexer({
      database,
      homeservers,
      pubky: ctx.pubky,
      discover: !values['no-discover'],
      api: hostPort(values.listen),
      follower: {
        pollMs: intOption(values['poll-ms'], 'poll-ms', { min: 1, max: 600_000 }),
        pageSize: intOption(values['page-size'], 'page-size', { min: 1, max: 1000 }),
      },
      log: (line) => console.error(JSON.stringify({ time: new Date().toISOString(), ...line })),
    }).catch(async (e) => {
      await ctx.close();
      throw e;
    });
    console.log(`indexer API: ${running.url}`);
    console.error(`following ${running.status().homeservers.length} homeserver(s); index in ${database}`);
    return serveUntilSignal('indexer', async () => {
      await running.close();
      await ctx.close();
    });
  },
};
