import { createReadStream } from 'node:fs';
import { fstat as fstatCb } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage } from '../key-source.ts';
import { putEncrypted } from './encrypted-io.ts';
import { counted, Progress, progressForce, progressOptions, progressUsage } from '../progress.ts';
import { addressOf, clientOptions, clientUsage, exitCodesUsage, loadSession, openClient, parseTarget } from '../session-file.ts';

const fstat = promisify(fstatCb);

export const put: Command = {
  name: 'put',
  usage: `pubky put <pubky://<user>/pub/… | /pub/…> [<file> | -] [--content-type <type>] [--encrypt [--to <pubky>…]]

Writes the file's bytes (or stdin's, with - or no file) to the address, through the owner's saved
session (pubky signup/login first). A path without a user (/pub/app/x) is in --user's tree, or the
only saved session's. Progress is shown on stderr for long transfers on a terminal.

  pubky put /pub/example.app/photo.jpg photo.jpg
  echo hello | pubky put pubky://<you>/pub/example.app/hello.txt -

      --user <key>          whose tree a bare /pub/… path is in
      --content-type <t>    send this Content-Type (the homeserver may choose its own)
      --encrypt             upload an age file only you (and --to) can open; the homeserver sees ciphertext
      --to <pubky|age1…>    (with --encrypt) another reader, repeatable
${keyUsage}
                            (with --encrypt, also encrypts to the directory's key: apps granted it open it)
${progressUsage}
${clientUsage}

${exitCodesUsage}`,
  options: {
    user: { type: 'string' },
    'content-type': { type: 'string' },
    encrypt: { type: 'boolean' },
    to: { type: 'string', multiple: true },
    ...keyOptions,
    ...progressOptions,
    ...clientOptions,
  },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length < 1 || positionals.length > 2) throw new CliError('give an address and a file (or - for stdin)');
    const target = await parseTarget(positionals[0], values);
    if (target.isDirectory) throw new CliError(`${target.path} ends in "/": give a file path to write to`);
    const source = positionals[1] ?? '-';
    let size: number | null = null;
    let input: AsyncIterable<Uint8Array>;
    let label: string;
    if (source === '-') {
      if (positionals[1] === undefined && process.stdin.isTTY) throw new CliError('give a file to upload, or pipe data in with -');
      try {
        const s = await fstat(0);
        if (s.isFile()) size = s.size;
      } catch {
        // unknown size
      }
      input = process.stdin;
      label = 'put <stdin>';
    } else {
      try {
        const s = await stat(source);
        if (!s.isFile()) throw new CliError(`${source} is not a regular file`);
        size = s.size;
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError(
          `cannot read ${source}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
        );
      }
      input = createReadStream(source, { highWaterMark: 256 * 1024 });
      label = `put ${source}`;
    }
    const ctx = await openClient(values);
    const progress = new Progress({ label, total: size, force: progressForce(values) });
    try {
      const session = await loadSession(ctx, target.owner);
      if (values.encrypt) await putEncrypted(session, target.path, counted(input, progress), values);
      else {
        if (values.to) throw new CliError('--to names readers of an encrypted file: add --encrypt');
        await session.storage.put(target.path, counted(input, progress), {
          contentType: typeof values['content-type'] === 'string' ? values['content-type'] : undefined,
        });
      }
      progress.done();
      console.log(`${addressOf(target)}  ${progress.bytes} bytes`);
    } catch (e) {
      progress.abort();
      throw e;
    } finally {
      if (input !== process.stdin) (input as unknown as { destroy(): void }).destroy();
      await ctx.close();
    }
  },
};
