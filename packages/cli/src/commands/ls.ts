import { intOption, type Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { addressOf, clientOptions, clientUsage, exitCodesUsage, loadSession, openClient, parseTarget } from '../session-file.ts';

const SERVER_DEFAULT_LIMIT = 100;

export const ls: Command = {
  name: 'ls',
  usage: `pubky ls <pubky://<user>/pub/…/ | /pub/…/> [--shallow] [--reverse] [--limit <n>] [--cursor <c>] [--all]

Prints the entries under a directory, one pubky:// URL per line, in byte order. One page (the
homeserver's default 100 entries, or --limit) unless --all; when more may follow, stderr says
which --cursor continues. /priv/ directories need the owner's saved session.

      --shallow             only immediate children; sub-directories once, ending in "/"
      --reverse             descending order
      --limit <n>           entries per page (1-1000)
      --cursor <c>          start after this entry (a URL from an earlier page, or a path)
      --all                 every page
      --user <key>          whose tree a bare /pub/… path is in
${clientUsage}

${exitCodesUsage}`,
  options: {
    shallow: { type: 'boolean' },
    reverse: { type: 'boolean' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
    user: { type: 'string' },
    ...clientOptions,
  },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one directory address');
    const arg = positionals[0];
    const target = await parseTarget(arg.endsWith('/') ? arg : `${arg}/`, values, 'a directory');
    const limit = intOption(values.limit, 'limit', { min: 1, max: 1000 });
    if (values.all && values.cursor !== undefined) throw new CliError('--all lists from the start: leave out --cursor');
    const ctx = await openClient(values);
    try {
      const priv = target.path.startsWith('/priv/');
      const storage = priv ? (await loadSession(ctx, target.owner)).storage : ctx.pubky.publicStorage;
      const address = priv ? target.path : addressOf(target);
      const options = { shallow: Boolean(values.shallow), reverse: Boolean(values.reverse), limit };
      if (values.all) {
        let n = 0;
        for await (const url of storage.listAll(address, options)) {
          console.log(url);
          n++;
        }
        console.error(`${n} entries`);
        return;
      }
      const page = await storage.list(address, { ...options, cursor: values.cursor as string | undefined });
      for (const url of page) console.log(url);
      if (page.length > 0 && page.length >= (limit ?? SERVER_DEFAULT_LIMIT)) {
        console.error(`more may follow: --cursor ${page[page.length - 1]}`);
      }
    } finally {
      await ctx.close();
    }
  },
};
