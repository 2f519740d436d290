import type { CookieSessionRecord, UserRecord } from '../types.ts';

/**
 * Everything about a cookie session and its user that a write's authorisation depends on (not the
 * user's usage, which the commit checks itself). A write authorised with records read from memory
 * carries it; its commit compares it with the rows as they are then (`FileWriter`).
 */
export function authFingerprint(session: CookieSessionRecord, user: UserRecord): string {
  return JSON.stringify([
    session.id,
    session.user,
    session.capabilities,
    user.id,
    user.publicKey,
    user.disabled,
    user.storageQuotaMb,
    user.rateRead,
    user.rateWrite,
    user.rateReadBurst,
    user.rateWriteBurst,
    user.allowedWritePaths,
  ]);
}
