import { PRIVATE_ROOT, PUBLIC_ROOT, type PublicKey } from '@pubky-ts/common';
import { HttpError } from '../http/errors.ts';
import type { AuthSession } from './session.ts';

/** Authorization for storage and streams (spec §3.7.1), after the session has been resolved. */

export const noSession = (): HttpError => new HttpError(401, 'NO_SESSION', 'No authenticated session found');

export function isStorageRoot(path: string): boolean {
  return path.startsWith(PUBLIC_ROOT) || path.startsWith(PRIVATE_ROOT);
}

/** PUT/DELETE: session (401), storage root (403), session user = tenant (403), `w` capability (403). */
export function authorizeWrite(session: AuthSession | null, tenant: PublicKey, path: string): asserts session is AuthSession {
  if (!session) throw noSession();
  if (!isStorageRoot(path)) {
    throw new HttpError(403, 'WRITE_FORBIDDEN_ROOT', "Writing to directories other than '/pub/' and '/priv/' is forbidden");
  }
  if (session.user !== tenant.z32) {
    throw new HttpError(403, 'SESSION_TENANT_MISMATCH', 'Session user does not match target tenant');
  }
  if (!session.capabilities.allows(path, 'w')) {
    throw new HttpError(403, 'NO_WRITE_ACCESS', 'Session does not have write access to path');
  }
}

export type ReadAccess = 'public' | 'private';

/** Which kind of read `path` is; other roots are refused with 403. */
export function readAccess(path: string): ReadAccess {
  if (path.startsWith(PUBLIC_ROOT)) return 'public';
  if (path.startsWith(PRIVATE_ROOT)) return 'private';
  throw new HttpError(403, 'READ_FORBIDDEN_ROOT', "Reading from directories other than '/pub/' and '/priv/' is forbidden");
}

/** A private read: a session (401) of the tenant with an `r` capability covering `path` (403). */
export function authorizePrivateRead(session: AuthSession | null, tenant: PublicKey, path: string): void {
  if (!session) {
    throw new HttpError(401, 'PRIVATE_READ_UNAUTHENTICATED', 'Authentication required to read private storage');
  }
  if (session.user !== tenant.z32 || !session.capabilities.allows(path, 'r')) {
    throw new HttpError(403, 'NO_READ_ACCESS', 'Session does not have read access to path');
  }
}
