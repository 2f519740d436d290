import { parseStrictStoragePath } from '@pubky-ts/common';
import { parseBandwidth, type BandwidthDefaults } from '../http/bandwidth.ts';
import { type HttpError, httpError } from '../http/errors.ts';
import type { UserQuota } from '../storage/types.ts';

/** The admin API's `UserQuota` JSON (spec §5.1) ⇄ the store's `UserQuota`. */

const invalid = (detail: string): HttpError => httpError('INVALID_QUOTA', detail);

const FIELDS = ['storage_quota_mb', 'rate_read', 'rate_write', 'rate_read_burst', 'rate_write_burst', 'allowed_write_paths'];

/**
 * Parses a quota object. With `patch`, absent fields are absent from the result (keep), `null` resets
 * to the default; without it (signup tokens), absent and null both mean default.
 */
export function parseUserQuotaJson(value: unknown, patch: boolean): Partial<UserQuota> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('expected an object');
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!FIELDS.includes(k)) throw invalid(`unknown field \`${k}\``);
  const out: Partial<UserQuota> = {};
  const has = (k: string): boolean => k in v && (patch || v[k] !== null);

  if (has('storage_quota_mb')) {
    const s = v.storage_quota_mb;
    if (s === null) out.storageQuotaMb = null;
    else if (s === 'unlimited') out.storageQuotaMb = -1;
    else if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 2 ** 31 - 1) out.storageQuotaMb = s;
    else throw invalid('storage_quota_mb: expected a non-negative integer, "unlimited" or null');
  }
  for (const [json, key] of [
    ['rate_read', 'rateRead'],
    ['rate_write', 'rateWrite'],
  ] as const) {
    if (!has(json)) continue;
    const r = v[json];
    if (r === null) out[key] = null;
    else if (typeof r === 'string' && parseBandwidth(r) !== null) out[key] = r;
    else throw invalid(`${json}: expected "<n><kb|mb|gb>/<s|m|h|d>" (n ≥ 1), "unlimited" or null`);
  }
  for (const [json, key, rate] of [
    ['rate_read_burst', 'rateReadBurst', 'rate_read'],
    ['rate_write_burst', 'rateWriteBurst', 'rate_write'],
  ] as const) {
    if (!has(json)) continue;
    const b = v[json];
    if (b === null) {
      out[key] = null;
      continue;
    }
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 1 || b > 2 ** 31 - 1) throw invalid(`${json}: expected an integer ≥ 1`);
    if (typeof v[rate] !== 'string' || v[rate] === 'unlimited') throw invalid(`${json}: requires a ${rate} value`);
    out[key] = b;
  }
  if (has('allowed_write_paths')) {
    const a = v.allowed_write_paths;
    if (a === null) out.allowedWritePaths = null;
    else {
      if (!Array.isArray(a)) throw invalid('allowed_write_paths: expected an array of paths or null');
      const seen = new Set<string>();
      for (const p of a) {
        if (typeof p !== 'string') throw invalid('allowed_write_paths: expected strings');
        try {
          parseStrictStoragePath(p);
        } catch (e) {
          throw invalid(`allowed_write_paths: ${JSON.stringify(p)}: ${(e as Error).message}`);
        }
        if (p === '/') throw invalid('allowed_write_paths: "/" is not allowed');
        if (seen.has(p)) throw invalid(`allowed_write_paths: duplicate ${JSON.stringify(p)}`);
        seen.add(p);
      }
      out.allowedWritePaths = a as string[];
    }
  }
  return out;
}

/** The JSON form of stored overrides (`null` = default). */
export function userQuotaToJson(q: UserQuota): Record<string, unknown> {
  return {
    storage_quota_mb: q.storageQuotaMb === -1 ? 'unlimited' : q.storageQuotaMb,
    rate_read: q.rateRead,
    rate_write: q.rateWrite,
    rate_read_burst: q.rateReadBurst,
    rate_write_burst: q.rateWriteBurst,
    allowed_write_paths: q.allowedWritePaths,
  };
}

/**
 * Overrides resolved against the server defaults (storage in MB, rates from `[default_quotas]`;
 * `"unlimited"` when none applies). A rate's burst goes with the rate it came from.
 */
export function effectiveQuotaJson(q: UserQuota, defaultQuotaMb: number | null, defaults: BandwidthDefaults): Record<string, unknown> {
  const storage = q.storageQuotaMb ?? defaultQuotaMb;
  return {
    storage_quota_mb: storage === null || storage === -1 ? 'unlimited' : storage,
    rate_read: q.rateRead ?? defaults.rateRead ?? 'unlimited',
    rate_write: q.rateWrite ?? defaults.rateWrite ?? 'unlimited',
    rate_read_burst: q.rateRead !== null ? q.rateReadBurst : defaults.rateReadBurst,
    rate_write_burst: q.rateWrite !== null ? q.rateWriteBurst : defaults.rateWriteBurst,
    allowed_write_paths: q.allowedWritePaths,
  };
}
