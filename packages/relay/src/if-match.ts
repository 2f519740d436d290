import { formatHttpDate, parseHttpDate } from '@pubky-ts/pkarr';
import type { CacheEntry } from './packet-cache.ts';
import { relayErrors } from './relay-errors.ts';

/**
 * Checks a PUT's `If-Match` against the cached packet (spec §6.2): a decimal µs timestamp, an
 * HTTP-date (whole seconds) or `*`, comma-separated. Returns the CAS seq to publish with; throws
 * 400 for a value that is none of these and 412 when nothing matches.
 */
export function checkIfMatch(header: string, cached: CacheEntry | undefined): number {
  // An HTTP-date contains a comma itself, so try the whole value as one date first.
  const candidates =
    parseHttpDate(header) !== null
      ? [header.trim()]
      : header
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  if (candidates.length === 0) throw relayErrors.invalidIfMatch('Invalid If-Match: empty');
  let matched = false;
  for (const c of candidates) {
    if (c === '*') {
      matched ||= cached !== undefined;
      continue;
    }
    const unq = c.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
    if (/^\d{1,16}$/.test(unq)) {
      matched ||= cached !== undefined && cached.packet.timestamp === Number(unq);
      continue;
    }
    const t = parseHttpDate(unq);
    if (t === null)
      throw relayErrors.invalidIfMatch(
        `Invalid If-Match ${JSON.stringify(c.slice(0, 64))}: expected a decimal µs timestamp, an HTTP-date or *`,
      );
    matched ||= cached !== undefined && Math.floor(cached.packet.timestamp / 1_000_000) * 1_000_000 === t;
  }
  if (!matched || !cached) {
    throw relayErrors.preconditionFailed(
      cached
        ? `Precondition failed: the cached packet has timestamp ${cached.packet.timestamp} (${formatHttpDate(cached.packet.timestamp)})`
        : 'Precondition failed: no packet is cached for this key',
    );
  }
  return cached.packet.timestamp;
}
