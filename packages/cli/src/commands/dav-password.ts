import { createAppPassword, listGrants, revokeGrant } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { clientOptions, clientUsage, exitCodesUsage, openClient } from '../session-file.ts';

export const davPassword: Command = {
  name: 'dav-password',
  usage: `pubky dav-password (--key <file> | --recovery <file>) (--caps <caps> | --list | --revoke <grant id>)

An app password for mounting your storage over WebDAV (rclone, davfs2, Finder, Explorer) without
your key: a grant of <caps> (e.g. /pub/:rw, or /pub/photos/:r) to a fresh client key, stored on your
homeserver like any app's grant. Prints the WebDAV URL, the user name (your public key) and the
password, once. --list shows your active grants, --revoke ends one (and its password) at once.

  -c, --caps <caps>         capabilities of the password, comma-separated (scope:actions)
      --days <n>            lifetime in days (default 365)
      --list                list your active grants
      --revoke <grant id>   revoke a grant
${keyUsage}
${clientUsage}

Example:
  pubky dav-password -k alice.key --caps /pub/:rw
  rclone mount :webdav:/ ~/pubky --webdav-url <url> --webdav-user <user> --webdav-pass "$(rclone obscure <password>)"

${exitCodesUsage}`,
  options: {
    ...keyOptions,
    ...clientOptions,
    caps: { type: 'string', short: 'c' },
    days: { type: 'string' },
    list: { type: 'boolean' },
    revoke: { type: 'string' },
  },
  async run(values) {
    const modes = [values.caps !== undefined, values.list === true, values.revoke !== undefined].filter(Boolean).length;
    if (modes !== 1) throw new CliError('give exactly one of --caps <caps>, --list or --revoke <grant id>', 2);
    const days = values.days === undefined ? 365 : Number(values.days);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CliError('--days is a whole number of days, 1..3650', 2);
    const keypair = await loadKeypair(values);
    const ctx = await openClient(values);
    try {
      if (typeof values.caps === 'string') {
        const app = await createAppPassword(ctx.pubky, keypair, { capabilities: values.caps, lifetimeSeconds: days * 86400 });
        console.log(`url      ${app.davUrl}`);
        console.log(`user     ${app.username}`);
        console.log(`password ${app.password}`);
        console.error(
          `grant ${app.grantId}, ${values.caps}, until ${new Date(app.expiresAt * 1000).toISOString()}; revoke with: pubky dav-password --revoke ${app.grantId}`,
        );
        return;
      }
      // Listing and revoking need a root session on the homeserver.
      await ctx.pubky.signer(keypair).signin();
      if (values.list) {
        for (const g of await listGrants(ctx.pubky, keypair)) {
          console.log(`${g.grantId}\t${g.clientId}\t${g.capabilities}\t${new Date(g.expiresAt * 1000).toISOString()}`);
        }
      } else {
        await revokeGrant(ctx.pubky, keypair, String(values.revoke));
        console.error(`revoked ${values.revoke}`);
      }
    } finally {
      await ctx.close();
    }
  },
};
