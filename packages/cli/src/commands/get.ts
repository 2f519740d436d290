import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PubkyHttpError } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage } from '../key-source.ts';
import { decryptIfEncrypted } from './encrypted-io.ts';
import { counted, Progress, progressForce, progressOptions, progressUsage } from '../progress.ts';
import { addressOf, clientOptions, clientUsage, exitCodesUsage, loadSession, openClient, parseTarget } from '../session-file.ts';

export const get: Command = {
  name: 'get',
  usage: `pubky get <pubky://<user>/pub/… | /pub/… | /priv/…> [--out <file>]

Reads a file and writes its bytes to stdout, or to --out (written to a temporary file and renamed
when complete). /pub/ files need no session; /priv/ files need the owner's saved session.
Progress is shown on stderr for long transfers on a terminal. An encrypted (age) file is decrypted
with --key or --recovery (yours, or a reader's it was encrypted --to); without one it is refused,
and --raw writes the ciphertext as stored.

  -o, --out <file>          write here instead of stdout (- for stdout)
      --user <key>          whose tree a bare /pub/… path is in
      --raw                 write an encrypted file's ciphertext, do not decrypt
${keyUsage}
${progressUsage}
${clientUsage}

${exitCodesUsage}`,
  options: {
    out: { type: 'string', short: 'o' },
    user: { type: 'string' },
    raw: { type: 'boolean' },
    ...keyOptions,
    ...progressOptions,
    ...clientOptions,
  },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one address');
    const target = await parseTarget(positionals[0], values);
    if (target.isDirectory) throw new CliError(`${target.path} is a directory: list it with \`pubky ls\``);
    const out = typeof values.out === 'string' && values.out !== '-' ? values.out : null;
    const force = progressForce(values);
    const ctx = await openClient(values);
    let progress: Progress | null = null;
    const tmp = out ? `${out}.${process.pid}.part` : null;
    try {
      const priv = target.path.startsWith('/priv/');
      const storage = priv ? (await loadSession(ctx, target.owner)).storage : ctx.pubky.publicStorage;
      const address = priv ? target.path : addressOf(target);
      // The size (for percent and ETA) costs a HEAD request: only when progress may be drawn.
      const mayDraw = force ?? Boolean(process.stderr.isTTY);
      const size = mayDraw ? ((await storage.stats(address))?.size ?? null) : null;
      const stream = await decryptIfEncrypted(await storage.getStream(address), storage, target.owner, target.path, values);
      progress = new Progress({ label: `get ${target.path.slice(target.path.lastIndexOf('/') + 1)}`, total: size, force });
      const source = counted(Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>), progress);
      if (tmp) {
        await pipeline(source, createWriteStream(tmp, { flags: 'wx' }));
        await rename(tmp, out!);
      } else {
        try {
          await pipeline(source, process.stdout, { end: false });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
          progress.abort();
          return 0; // the reader went away (`| head`): not an error
        }
      }
      progress.done();
      if (out) console.error(`${addressOf(target)} → ${out}  ${progress.bytes} bytes`);
    } catch (e) {
      progress?.abort();
      if (tmp) await unlink(tmp).catch(() => {});
      if (e instanceof PubkyHttpError && e.code === 'not_found')
        throw new CliError(`${addressOf(target)}: no such file (not_found)`, 1, 'not_found');
      throw e;
    } finally {
      await ctx.close();
    }
  },
};
