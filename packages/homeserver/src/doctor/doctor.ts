import type { HomeserverConfig } from '../config/config.ts';
import { localChecks } from './local-checks.ts';
import { networkChecks } from './network-checks.ts';
import type { CheckResult, CheckStatus } from './check-result.ts';

/**
 * `pubky homeserver doctor`: checks, from the machine itself, what a homeserver on the internet
 * needs (data directory, key, database, sockets, admin password, public address, domain, HTTPS, the
 * published PKARR packet, the DHT bootstrap nodes) and says in words what is wrong and what to do.
 */

export type { CheckResult, CheckStatus } from './check-result.ts';

export interface DoctorOptions {
  /** Per network probe (HTTP, DNS, DHT ping, relay); default 5000 ms. */
  timeoutMs?: number;
  /** Skip the checks that leave the machine (DNS, HTTPS, relays, DHT). */
  offline?: boolean;
}

export interface DoctorReport {
  results: CheckResult[];
  /** True when no check failed (warnings allowed). */
  ok: boolean;
}

export async function runDoctor(config: HomeserverConfig, options: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const results = [...(await localChecks(config))];
  if (!options.offline) results.push(...(await networkChecks(config, { timeoutMs })));
  return { results, ok: results.every((r) => r.status !== 'fail') };
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: 'info' };

/** The report as lines for a terminal: one per check, its fix indented below. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = report.results.map((r) => `${MARK[r.status]}  ${r.message}${r.fix ? `\n      → ${r.fix}` : ''}`);
  const failed = report.results.filter((r) => r.status === 'fail').length;
  const warned = report.results.filter((r) => r.status === 'warn').length;
  lines.push(
    '',
    failed ? `${failed} check(s) failed, ${warned} warning(s).` : `No check failed${warned ? ` (${warned} warning(s))` : ''}.`,
  );
  return lines.join('\n');
}
