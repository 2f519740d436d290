import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PublicKey } from '@pubky-ts/common';
import { importArchive, readArchiveManifest, verifyArchive, type Session } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { formatBytes, progressForce, progressOptions, progressUsage } from '../progress.ts';
import { clientOptions, clientUsage, exitCodesUsage, loadSession, openClient } from '../session-file.ts';
import { ArchiveProgressLines } from './export.ts';

export const importCommand: Command = {
  name: 'import',
  usage: `pubky import <file> [--prune] [--check] [--key <file> | --recovery <file>]

Restores an archive written by \`pubky export\` into its user's tree on the homeserver of that
user's saved session (sign up on the new homeserver first: \`pubky signup\`), or of a fresh sign-in
with --key/--recovery. The whole archive is verified before anything is written: its tar structure,
the manifest's signature by its user, and every content's size and BLAKE3 hash; a bad archive is
refused with the reason. Files already identical on the homeserver are skipped, so an interrupted
import can be run again; every written file's ETag is checked against the manifest afterwards.

      --prune               also delete files on the homeserver that the archive does not hold
                            (the tree ends exactly as archived); without it they are kept
      --check               only verify the archive (no network, no session)
${keyUsage}
${progressUsage}
${clientUsage}

${exitCodesUsage}`,
  options: { prune: { type: 'boolean' }, check: { type: 'boolean' }, ...keyOptions, ...progressOptions, ...clientOptions },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give the archive file to import');
    const file = positionals[0];
    try {
      const s = await stat(file);
      if (!s.isFile()) throw new CliError(`${file} is not a regular file`);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const blob = await openAsBlob(file);
    const lines = new ArchiveProgressLines(progressForce(values));
    if (values.check) {
      try {
        const v = await verifyArchive(blob, { onProgress: lines.update });
        lines.done();
        const bytes = [...v.blobs.values()].reduce((n, b) => n + b.size, 0);
        console.log(
          `ok: ${v.manifest.files.length} files (${v.blobs.size} distinct contents, ${formatBytes(bytes)}) of ${v.manifest.user}, exported ${v.manifest.createdAt}, signed by its user`,
        );
      } catch (e) {
        lines.abort();
        throw e;
      }
      return;
    }
    // The manifest names the user (its signature is checked here; the rest during the import).
    const manifest = await readArchiveManifest(blob);
    const hasKey = values.key !== undefined || values.recovery !== undefined;
    const keypair = hasKey ? await loadKeypair(values) : null;
    if (keypair && keypair.publicKey.z32 !== manifest.user) {
      throw new CliError(`the archive holds the tree of ${manifest.user}, but the key is ${keypair.publicKey.z32}`);
    }
    const ctx = await openClient(values);
    try {
      const user = PublicKey.parse(manifest.user);
      const session: Session = keypair ? await ctx.pubky.signer(keypair).signin({ awaitRepublish: true }) : await loadSession(ctx, user);
      const result = await importArchive(session, blob, { prune: Boolean(values.prune), onProgress: lines.update });
      lines.done();
      console.log(
        `imported ${result.files} files of ${manifest.user} to ${session.homeserver.z32}: ${result.written} written (${formatBytes(result.bytes)}), ${result.unchanged} already there, ${result.deleted} deleted`,
      );
      for (const d of result.contentTypeDifferences) {
        console.error(
          `note: ${d.path} has content type ${d.stored} on the homeserver (archived as ${d.archived}); its bytes are identical`,
        );
      }
    } catch (e) {
      lines.abort();
      throw e;
    } finally {
      await ctx.close();
    }
  },
};
