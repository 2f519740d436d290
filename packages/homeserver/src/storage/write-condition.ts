import { etagOf } from './rows.ts';

/**
 * A write's precondition (RFC 9110 §13.1.1, §13.1.2), as `WriteOptions` and the delete options carry
 * it: each is `*` or one strong ETag exactly as the server sends it (`"<base64 BLAKE3>"`). Both may
 * be given; both must hold. Stores evaluate it inside the write's transaction, against the entry the
 * write replaces, so no other write can land between the check and the write.
 */
export interface WriteCondition {
  /** Write only if the file exists (`*`) or its current ETag is this one. */
  ifMatch?: string;
  /** Write only if the file does not exist (`*`) or its current ETag is not this one. */
  ifNoneMatch?: string;
}

export function hasCondition(c: WriteCondition): boolean {
  return c.ifMatch !== undefined || c.ifNoneMatch !== undefined;
}

/** Whether `c` holds for the file whose content hash is `current` (null: no file at the path). */
export function conditionHolds(c: WriteCondition, current: Uint8Array | null): boolean {
  if (c.ifMatch !== undefined) {
    if (current === null) return false;
    if (c.ifMatch !== '*' && c.ifMatch !== etagOf(current)) return false;
  }
  if (c.ifNoneMatch !== undefined && current !== null) {
    if (c.ifNoneMatch === '*' || c.ifNoneMatch === etagOf(current)) return false;
  }
  return true;
}
