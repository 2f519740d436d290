import { parseResourceAddress, type PubkyEvent } from '@pubky-ts/client';
import { PublicKey } from '@pubky-ts/common';
import { intOption, listOption, type Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { clientOptions, clientUsage, defaultUser, exitCodesUsage, loadSession, openClient } from '../session-file.ts';

/** One event as a line: `<cursor>\t<PUT|DEL>\t<url>[\t<content hash>]`. */
export function formatEvent(e: PubkyEvent): string {
  return [e.cursor, e.type, e.url, ...(e.contentHash ? [e.contentHash] : [])].join('\t');
}

export const events: Command = {
  name: 'events',
  usage: `pubky events [<user> | pubky://<user>/<dir>/] [--path <dir>]… [--cursor <c>] [--live] [--limit <n>] [--reverse] [--json]

Prints the user's stored events from their homeserver, oldest first, one per line:
  <cursor> <TAB> PUT|DEL <TAB> pubky://<user>/<path> [<TAB> <content hash (PUT)>]
Without a user, the events are those of the signed-in user (the only saved session),
and ends, or with --live keeps following new ones until Ctrl-C. Pass a printed cursor back with
--cursor to continue after that event. /priv/ paths need the user's saved session.

      --path <dir>          only events under this directory (ends in /) or of this file (repeatable;
                            default the homeserver's: /pub/)
      --cursor <c>          start after this event
      --live                keep following new events
      --limit <n>           stop after n events
      --reverse             newest first (not with --live)
      --json                one JSON object per line
${clientUsage}

${exitCodesUsage}`,
  options: {
    path: { type: 'string', multiple: true },
    cursor: { type: 'string' },
    live: { type: 'boolean' },
    limit: { type: 'string' },
    reverse: { type: 'boolean' },
    json: { type: 'boolean' },
    ...clientOptions,
  },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length > 1) throw new CliError('give at most one user (public key or pubky://<user>/…)');
    const arg = positionals[0];
    let user: PublicKey;
    const paths = listOption(values.path);
    if (arg === undefined) {
      user = await defaultUser(values);
    } else if (/^pubky:\/\//i.test(arg) || /^pubky[a-z0-9]{52}/i.test(arg)) {
      let target;
      try {
        target = parseResourceAddress(arg);
      } catch (e) {
        throw new CliError(`${JSON.stringify(arg.slice(0, 200))} is not a valid address: ${(e as Error).message}`);
      }
      user = target.owner;
      if (target.path !== '/') paths.push(target.path);
    } else {
      const key = PublicKey.tryParse(arg);
      if (!key) throw new CliError(`${JSON.stringify(arg.slice(0, 200))} is not a public key`);
      user = key;
    }
    for (const p of paths) {
      if (!p.startsWith('/pub/') && !p.startsWith('/priv/') && p !== '/pub' && p !== '/priv') {
        throw new CliError(`--path ${JSON.stringify(p)} must be under /pub/ or /priv/`);
      }
    }
    const limit = intOption(values.limit, 'limit', { min: 1, max: Number.MAX_SAFE_INTEGER });
    if (values.live && values.reverse) throw new CliError('--reverse cannot be combined with --live');
    const cursor = values.cursor as string | undefined;
    if (cursor !== undefined && (cursor === '' || cursor.length > 64 || /\s/.test(cursor))) {
      throw new CliError(`--cursor ${JSON.stringify(cursor.slice(0, 80))} is not an event cursor`);
    }
    const ctx = await openClient(values);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const options = {
        users: [{ key: user, cursor }],
        paths: paths.length > 0 ? paths : undefined,
        live: Boolean(values.live),
        reverse: Boolean(values.reverse),
        limit,
        signal: stop.signal,
      };
      const priv = paths.some((p) => p.startsWith('/priv'));
      const stream = priv ? (await loadSession(ctx, user)).events(options) : ctx.pubky.events(options);
      try {
        for await (const e of stream) {
          if (values.json) {
            console.log(
              JSON.stringify({ cursor: e.cursor, type: e.type, user: e.user.z32, path: e.path, url: e.url, contentHash: e.contentHash }),
            );
          } else {
            console.log(formatEvent(e));
          }
        }
      } catch (e) {
        if (!stop.signal.aborted) throw e;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await ctx.close();
    }
  },
};
