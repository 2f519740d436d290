import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from './bytes.ts';
import { PubkyError, commonError } from './errors.ts';
import type { Keypair } from './keys.ts';

/** Longest compact JWS accepted: grants and PoPs are a few hundred bytes. */
export const MAX_JWS_LENGTH = 16 * 1024;

/** A compact JWS split and decoded, not yet verified. */
export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `<header>.<payload>` as ASCII bytes: what the signature covers. */
  signingInput: Uint8Array;
  signature: Uint8Array;
}

/** Signs a compact JWS with Ed25519 (`alg: EdDSA`): the grant and PoP tokens of grant auth. */
export function signJws(keypair: Keypair, typ: string, payload: object): string {
  const h = base64urlEncode(utf8Encode(JSON.stringify({ alg: 'EdDSA', typ })));
  const p = base64urlEncode(utf8Encode(JSON.stringify(payload)));
  return `${h}.${p}.${base64urlEncode(keypair.sign(utf8Encode(`${h}.${p}`)))}`;
}

function jsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(base64urlDecode(part)));
  } catch {
    throw commonError('invalid_jws', `the JWS ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw commonError('invalid_jws', `the JWS ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Splits and decodes a compact JWS without verifying it; PubkyError `invalid_jws` says what is wrong. */
export function decodeJws(token: string): DecodedJws {
  if (typeof token !== 'string' || token.length > MAX_JWS_LENGTH) {
    throw commonError('invalid_jws', `a JWS is a string of at most ${MAX_JWS_LENGTH} characters`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw commonError('invalid_jws', 'a compact JWS has exactly three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  const header = jsonObject(h, 'header');
  const payload = jsonObject(p, 'payload');
  let signature: Uint8Array;
  try {
    signature = base64urlDecode(s);
  } catch {
    throw commonError('invalid_jws', 'the JWS signature is not base64url');
  }
  if (signature.length !== 64) throw commonError('invalid_jws', 'an Ed25519 signature is 64 bytes');
  return { header, payload, signingInput: utf8Encode(`${h}.${p}`), signature };
}
