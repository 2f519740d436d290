import type { UserQuota } from '../types.ts';

/** The quota override columns as stored in `users` and `signup_tokens`. */
export interface QuotaRow {
  quota_storage_mb: number | null;
  quota_rate_read: string | null;
  quota_rate_write: string | null;
  quota_rate_read_burst: number | null;
  quota_rate_write_burst: number | null;
  allowed_write_paths: string | null;
}

export const QUOTA_COLUMN_NAMES = [
  'quota_storage_mb',
  'quota_rate_read',
  'quota_rate_write',
  'quota_rate_read_burst',
  'quota_rate_write_burst',
  'allowed_write_paths',
] as const;

const FIELD_TO_COLUMN: Record<keyof UserQuota, keyof QuotaRow> = {
  storageQuotaMb: 'quota_storage_mb',
  rateRead: 'quota_rate_read',
  rateWrite: 'quota_rate_write',
  rateReadBurst: 'quota_rate_read_burst',
  rateWriteBurst: 'quota_rate_write_burst',
  allowedWritePaths: 'allowed_write_paths',
};

export const EMPTY_QUOTA: UserQuota = {
  storageQuotaMb: null,
  rateRead: null,
  rateWrite: null,
  rateReadBurst: null,
  rateWriteBurst: null,
  allowedWritePaths: null,
};

/**
 * A stored allowed_write_paths value that does not parse as a string array is treated as `[]`
 * (read-only), failing closed like the reference (spec delta §9).
 */
function parsePaths(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // fall through
  }
  return [];
}

export function quotaFromRow(row: QuotaRow): UserQuota {
  return {
    storageQuotaMb: row.quota_storage_mb,
    rateRead: row.quota_rate_read,
    rateWrite: row.quota_rate_write,
    rateReadBurst: row.quota_rate_read_burst,
    rateWriteBurst: row.quota_rate_write_burst,
    allowedWritePaths: parsePaths(row.allowed_write_paths),
  };
}

/** Column/value pairs for the fields present in `patch` (absent = keep). */
export function quotaToColumns(patch: Partial<UserQuota>): [keyof QuotaRow, string | number | null][] {
  const out: [keyof QuotaRow, string | number | null][] = [];
  for (const key of Object.keys(FIELD_TO_COLUMN) as (keyof UserQuota)[]) {
    if (!(key in patch) || patch[key] === undefined) continue;
    const v = patch[key];
    if (key === 'allowedWritePaths') out.push([FIELD_TO_COLUMN[key], v === null ? null : JSON.stringify(v)]);
    else out.push([FIELD_TO_COLUMN[key], v as string | number | null]);
  }
  return out;
}

export function fullQuotaRow(q: Partial<UserQuota> | undefined): QuotaRow {
  const merged = { ...EMPTY_QUOTA, ...(q ?? {}) };
  return {
    quota_storage_mb: merged.storageQuotaMb,
    quota_rate_read: merged.rateRead,
    quota_rate_write: merged.rateWrite,
    quota_rate_read_burst: merged.rateReadBurst,
    quota_rate_write_burst: merged.rateWriteBurst,
    allowed_write_paths: merged.allowedWritePaths === null ? null : JSON.stringify(merged.allowedWritePaths),
  };
}
