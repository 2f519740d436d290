import { createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { Keypair } from '@pubky-ts/common';
import { exportArchive, type ArchiveProgress, type Session } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { formatBytes, Progress, progressForce, progressOptions, progressUsage, type ProgressOptions } from '../progress.ts';
import {
  clientOptions,
  clientUsage,
  exitCodesUsage,
  loadSession,
  openClient,
  readSessionFile,
  type ClientContext,
} from '../session-file.ts';

/** A progress line that also counts files: `writing  120/1000 files  12.0 MiB / 40.0 MiB  30%  …`. */
class FilesProgress extends Progress {
  files = 0;
  totalFiles = 0;
  constructor(
    options: ProgressOptions,
    private readonly moves: boolean,
  ) {
    super(options);
  }
  override line(): string {
    const files = `${this.label}  ${this.files}/${this.totalFiles} files`;
    return this.moves ? `${files}${super.line().slice(this.label.length)}` : files;
  }
}

/** Draws archive progress phase by phase, one line each. */
export class ArchiveProgressLines {
  private bar: FilesProgress | null = null;
  private phase = '';
  constructor(private readonly force: boolean | undefined) {}

  update = (p: ArchiveProgress): void => {
    if (p.phase !== this.phase) {
      this.bar?.done();
      this.phase = p.phase;
      this.bar = new FilesProgress({ label: p.phase, total: p.totalBytes > 0 ? p.totalBytes : null, force: this.force }, p.totalBytes > 0);
    }
    const bar = this.bar!;
    bar.files = p.files;
    bar.totalFiles = p.totalFiles;
    bar.add(p.bytes - bar.bytes);
  };

  done(): void {
    this.bar?.done();
  }
  abort(): void {
    this.bar?.abort();
  }
}

/** The saved session of the key's user, or a fresh sign-in with the key. */
async function sessionFor(ctx: ClientContext, keypair: Keypair): Promise<Session> {
  const saved = (await readSessionFile(ctx.sessionFile)).sessions[keypair.publicKey.z32];
  if (saved) return loadSession(ctx, keypair.publicKey);
  return ctx.pubky.signer(keypair).signin({ awaitRepublish: true });
}

export const exportCommand: Command = {
  name: 'export',
  usage: `pubky export <file | -> (--key <file> | --recovery <file>) [--force]

Writes your whole tree (/pub/ and /priv/) to one archive: a POSIX tar file (\`tar tvf\` lists it)
holding manifest.json (every path, size, BLAKE3 hash and content type), manifest.sig (the manifest
signed with your key) and each distinct content once. \`pubky import\` restores it on any homeserver.
The key signs the manifest; the homeserver is reached through the key's saved session, or a fresh
sign-in. The file is written under a temporary name and renamed when complete.

      --force               overwrite an existing file
${keyUsage}
${progressUsage}
${clientUsage}

${exitCodesUsage}`,
  options: { force: { type: 'boolean' }, ...keyOptions, ...progressOptions, ...clientOptions },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give the archive file to write (or - for stdout)');
    const target = positionals[0];
    const toStdout = target === '-';
    if (toStdout && process.stdout.isTTY) throw new CliError('refusing to write an archive to a terminal: give a file, or redirect stdout');
    if (!toStdout && !values.force) {
      const exists = await stat(target).then(
        () => true,
        () => false,
      );
      if (exists) throw new CliError(`${target} exists: give another file, or --force to overwrite it`);
    }
    const keypair = await loadKeypair(values);
    const ctx = await openClient(values);
    const lines = new ArchiveProgressLines(progressForce(values));
    const tmp = toStdout ? null : `${target}.${process.pid}.part`;
    try {
      const session = await sessionFor(ctx, keypair);
      const output = toStdout ? Writable.toWeb(process.stdout) : Writable.toWeb(createWriteStream(tmp!, { flags: 'wx', mode: 0o600 }));
      const result = await exportArchive(session, keypair, output as WritableStream<Uint8Array>, { onProgress: lines.update });
      lines.done();
      if (tmp) await rename(tmp, target);
      const where = toStdout ? 'stdout' : target;
      const summary = `exported ${result.files} files (${result.blobs} distinct contents, ${formatBytes(result.bytes)}) of ${session.publicKey.z32} from ${session.homeserver.z32} to ${where}`;
      if (toStdout) console.error(summary);
      else console.log(summary);
    } catch (e) {
      lines.abort();
      if (tmp) await unlink(tmp).catch(() => {});
      throw e;
    } finally {
      await ctx.close();
    }
  },
};
