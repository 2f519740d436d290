import { PRIVATE_ROOT, PUBLIC_ROOT, type PublicKey } from '@pubky-ts/common';
import { type HttpError, httpError } from '../http/errors.ts';
import type { AuthSession } from './session.ts';

/** Authorization for storage and streams (spec §3.7.1), after the session has been resolved. */

export const noSession = (): HttpError => httpError('NO_SESSION');

export function isStorageRoot(path: string): boolean {
  return path.startsWith(PUBLIC_ROOT) || path.startsWith(PRIVATE_ROOT);
}

/** PUT/DELETE: session (401), storage root (403), session user = tenant (403), `w` capability (403). */
export function authorizeWrite(session: AuthSession | null, tenant: PublicKey, path: string): asserts session is AuthSession {
  if (!session) throw noSession();
  if (!isStorageRoot(path)) {
    throw httpError('WRITE_FORBIDDEN_ROOT');
  }
  if (session.user !== tenant.z32) {
    throw httpError('SESSION_TENANT_MISMATCH');
  }
  if (!session.capabilities.allows(path, 'w')) {
    throw httpError('NO_WRITE_ACCESS');
  }
}

export type ReadAccess = 'public' | 'private';

/** Which kind of read `path` is; other roots are refused with 403. */
export function readAccess(path: string): ReadAccess {
  if (path.startsWith(PUBLIC_ROOT)) return 'public';
  if (path.startsWith(PRIVATE_ROOT)) return 'private';
  throw httpError('READ_FORBIDDEN_ROOT');
}

/** A private read: a session (401) of the tenant with an `r` capability covering `path` (403). */
export function authorizePrivateRead(session: AuthSession | null, tenant: PublicKey, path: string): void {
  if (!session) {
    throw httpError('PRIVATE_READ_UNAUTHENTICATED');
  }
  if (session.user !== tenant.z32 || !session.capabilities.allows(path, 'r')) {
    throw httpError('NO_READ_ACCESS');
  }
}
