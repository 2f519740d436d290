import { PublicKey } from '@pubky-ts/common';
import type { MigrationProgress } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { formatBytes, formatDuration, progressForce, progressOptions, progressUsage } from '../progress.ts';
import { clientOptions, clientUsage, exitCodesUsage, openClient, saveSession } from '../session-file.ts';

/** `copying  5000/10000 files  4.9 MiB / 9.8 MiB  50%  1.2 MiB/s  ETA 4s` */
export function migrationLine(p: MigrationProgress, elapsedMs: number): string {
  const parts = [p.phase.padEnd(9)];
  if (p.phase !== 'connecting') {
    parts.push(`${p.filesDone}/${p.filesTotal} files`, `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`);
    if (p.bytesTotal > 0) parts.push(`${Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 100))}%`);
  }
  if (p.phase === 'copying') {
    parts.push(`${formatBytes(Math.round(p.bytesCopied / Math.max(1e-3, elapsedMs / 1000)))}/s`);
    if (p.etaMs !== null) parts.push(`ETA ${formatDuration(p.etaMs / 1000)}`);
  }
  return parts.join('  ');
}

export const migrate: Command = {
  name: 'migrate',
  usage: `pubky migrate (--key <file> | --recovery <file>) --to <homeserver key> [--signup-token <token>]

Moves your account to another homeserver: signs up there (or signs in, when an earlier run already
did), copies everything under /pub/ and /priv/ (each file checked by its BLAKE3 hash), compares the
files, sizes and hashes of both sides, and only then switches your _pubky record to the new
homeserver. Your old homeserver then stops republishing your record; your data stays there until you
delete it. Interrupted (Ctrl-C, a crash, a server down)? Run the same command again: it continues
where it stopped. Readers keep reading from the old homeserver until the switch.

  pubky migrate -k alice.key --to 8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo --signup-token XXXX-XXXX-XXXX

${keyUsage}
      --to <key>              the homeserver to move to
      --signup-token <t>      its signup token, when it asks for one ($PUBKY_SIGNUP_TOKEN)
      --concurrency <n>       requests in flight (default 8)
      --progress-interval <ms>  how often a progress line is written off a terminal (default 1000)
${progressUsage}
${clientUsage}

${exitCodesUsage}`,
  options: {
    ...keyOptions,
    to: { type: 'string' },
    'signup-token': { type: 'string' },
    concurrency: { type: 'string' },
    'progress-interval': { type: 'string' },
    ...progressOptions,
    ...clientOptions,
  },
  async run(values) {
    if (typeof values.to !== 'string') throw new CliError('give the homeserver to move to: --to <public key>');
    const to = PublicKey.tryParse(values.to);
    if (!to) throw new CliError(`--to ${JSON.stringify(values.to)} is not a public key`);
    const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new CliError('--concurrency is an integer 1..64');
    const interval = values['progress-interval'] === undefined ? 1000 : Number(values['progress-interval']);
    if (!Number.isInteger(interval) || interval < 10) throw new CliError('--progress-interval is an integer number of milliseconds ≥ 10');
    const token = (values['signup-token'] as string | undefined) ?? process.env.PUBKY_SIGNUP_TOKEN;
    const keypair = await loadKeypair(values);
    const tty = Boolean(process.stderr.isTTY);
    const show = progressForce(values) ?? tty;
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const ctx = await openClient(values);
    const started = performance.now();
    try {
      const signer = ctx.pubky.signer(keypair);
      const report = await signer.migrate({
        to,
        signupToken: token || null,
        concurrency,
        signal: abort.signal,
        progressIntervalMs: tty ? 100 : interval,
        onProgress: (p) => {
          if (!show) return;
          const line = migrationLine(p, performance.now() - started);
          process.stderr.write(tty ? `\r${line}\x1b[K${p.phase === 'done' ? '\n' : ''}` : `${line}\n`);
        },
      });
      if (report.alreadyMoved) {
        console.log(`${report.user.z32} is already on ${report.to.z32}: nothing to do`);
        return;
      }
      await saveSession(ctx.sessionFile, await signer.signinAt(to));
      console.log(`moved ${report.user.z32} from ${report.from.z32} to ${report.to.z32}`);
      console.log(
        `${report.files} files, ${formatBytes(report.bytes)}; copied ${report.copied} (${formatBytes(report.copiedBytes)}), removed ${report.removed}, in ${formatDuration(report.durationMs / 1000)}`,
      );
    } catch (e) {
      if (abort.signal.aborted)
        throw new CliError('migration interrupted: nothing was switched; run the same command again to continue', 1, 'interrupted');
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await ctx.close();
    }
  },
};
