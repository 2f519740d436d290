import { crockfordDecode } from '@pubky-ts/common';
import { httpError } from '../http/errors.ts';

/** Signup token format (spec §3.5): `XXXX-XXXX-XXXX`, 12 Crockford characters in groups of four. */
export function isSignupTokenFormat(s: string): boolean {
  if (s.length !== 14 || !/^[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$/.test(s)) return false;
  try {
    crockfordDecode(s.replaceAll('-', ''));
    return true;
  } catch {
    return false;
  }
}

/** 400 `Invalid signup token format: Invalid signup code id` unless well-formed. */
export function checkSignupTokenFormat(s: string): void {
  if (!isSignupTokenFormat(s)) {
    throw httpError('SIGNUP_TOKEN_FORMAT');
  }
}
