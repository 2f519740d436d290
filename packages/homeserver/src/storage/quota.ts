import type { UserQuota } from './types.ts';

/** Metadata overhead charged per stored file (spec §2.8). */
export const FILE_OVERHEAD_BYTES = 256;
export const MIB = 1_048_576;

/**
 * The user's storage limit in bytes, or null for unlimited: per-user override (null = default,
 * -1 = unlimited) → `defaultQuotaMb` (null/undefined = unlimited, 0 = nothing may be stored).
 */
export function storageLimitBytes(user: Pick<UserQuota, 'storageQuotaMb'>, defaultQuotaMb: number | null | undefined): number | null {
  const mb = user.storageQuotaMb ?? defaultQuotaMb ?? null;
  if (mb === null || mb < 0) return null;
  return mb * MIB;
}

/** Bytes a write adds to `used_bytes`: new file = length + overhead, overwrite = the size delta. */
export function writeDelta(newLength: number, previousLength: number | null): number {
  return previousLength === null ? newLength + FILE_OVERHEAD_BYTES : newLength - previousLength;
}

/** A write is refused when it grows usage beyond the limit; shrinking writes always pass. */
export function exceedsQuota(usedBytes: number, delta: number, limit: number | null): boolean {
  return limit !== null && delta > 0 && usedBytes + delta > limit;
}
