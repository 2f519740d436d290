// `pubkyauth://` deep links (spec pkarr-dht-relay §7.2, homeserver-delta §14 for x-callback params).
import { base64urlDecode, base64urlEncode, Capabilities, PublicKey } from '@pubky-ts/common';
import { AuthFlowError } from './errors.ts';

export const DEFAULT_HTTP_RELAY = 'https://httprelay.pubky.app/inbox';
const MAX_LINK_LENGTH = 16 * 1024;
const MAX_CLIENT_ID_LENGTH = 253;

/** Optional x-callback-url parameters an app may attach so the authenticator can return to it. */
export interface DeepLinkCallbacks {
  /** Name of the app that asks (`x-source`). */
  source?: string;
  /** URL to open after approval (`x-success`; legacy `callback` is read as a fallback). */
  success?: string;
  error?: string;
  cancel?: string;
}

interface ChannelParams {
  /** The capabilities asked for, canonical comma form (`/pub/app/:rw,/pub/foo.txt:r`). */
  capabilities: string;
  /** Relay channel base URL, e.g. `https://httprelay.pubky.app/inbox`. */
  relay: string;
  /** 32 random bytes shared with the authenticator; the channel id and the encryption key derive from it. */
  secret: Uint8Array;
  callbacks?: DeepLinkCallbacks;
  /** The app asks for its scopes' encryption keys (`x-age-keys=1`; crypto/scope-key-channel.ts). */
  ageKeys?: boolean;
}
interface SignupParams {
  homeserver: PublicKey;
  signupToken?: string;
}
interface GrantParams {
  clientId: string;
  clientKey: PublicKey;
}

export type SigninDeepLink = { intent: 'signin' } & ChannelParams;
export type SignupDeepLink = { intent: 'signup' } & ChannelParams & SignupParams;
export type SigninGrantDeepLink = { intent: 'signin_grant' } & ChannelParams & GrantParams;
export type SignupGrantDeepLink = { intent: 'signup_grant' } & ChannelParams & SignupParams & GrantParams;
export type DirectSignupDeepLink = { intent: 'direct_signup'; callbacks?: DeepLinkCallbacks } & SignupParams;

export type AuthDeepLink = SigninDeepLink | SignupDeepLink | SigninGrantDeepLink | SignupGrantDeepLink | DirectSignupDeepLink;
export type DeepLinkIntent = AuthDeepLink['intent'];
/** The intents that carry a relay channel (and so an answer back to the app). */
export type ChannelDeepLink = Exclude<AuthDeepLink, DirectSignupDeepLink>;

const LINK_RE = /^(pubkyauth|pubkyring):(?:\/\/([^/?#]*))?(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/i;
const INTENTS = new Set<string>(['signin', 'signup', 'signin_grant', 'signup_grant', 'direct_signup']);

function bad(message: string): AuthFlowError {
  return new AuthFlowError('invalid_deep_link', message);
}

/**
 * Parses a `pubkyauth://<intent>?…` (or deprecated `pubkyring://`) link. The old form
 * `pubkyauth:///?caps=…` with an empty host is a `signin`. Unknown extra parameters are ignored.
 * Throws AuthFlowError `invalid_deep_link` (or `unsupported_deep_link` for `secret_export`).
 */
export function parseDeepLink(link: string): AuthDeepLink {
  if (typeof link !== 'string') throw bad('a deep link must be a string');
  const text = link.trim();
  if (text.length > MAX_LINK_LENGTH) throw bad(`a deep link is at most ${MAX_LINK_LENGTH} characters`);
  const m = LINK_RE.exec(text);
  if (!m) throw bad('not a pubkyauth:// link');
  const host = (m[2] ?? '').toLowerCase();
  const path = m[3] ?? '';
  if (path !== '' && path !== '/') throw bad(`unexpected path ${JSON.stringify(path.slice(0, 80))} in a deep link`);
  const intent = host === '' ? 'signin' : host;
  if (intent === 'secret_export') throw new AuthFlowError('unsupported_deep_link', 'secret_export links are not supported');
  if (!INTENTS.has(intent)) throw bad(`unknown deep link intent ${JSON.stringify(intent.slice(0, 40))}`);
  const params = new URLSearchParams(m[4] ?? '');
  const one = (name: string, required: boolean): string | undefined => {
    const v = params.get(name);
    if (v === null || v === '') {
      if (required) throw bad(`the ${intent} link lacks the "${name}" parameter`);
      return undefined;
    }
    return v;
  };
  const callbacks = readCallbacks(params);
  const signup = (): SignupParams => {
    const homeserver = parseKey(one('hs', true)!, 'hs');
    const st = one('st', false);
    return st === undefined ? { homeserver } : { homeserver, signupToken: st };
  };
  if (intent === 'direct_signup') return withCallbacks({ intent, ...signup() }, callbacks);

  const caps = one('caps', false) ?? '';
  if (!params.has('caps')) throw bad(`the ${intent} link lacks the "caps" parameter`);
  let capabilities: string;
  try {
    capabilities = Capabilities.parse(caps).toString();
  } catch (e) {
    throw bad(`the caps parameter is invalid: ${(e as Error).message}`);
  }
  const relay = parseRelay(one('relay', true)!);
  const secret = parseSecret(one('secret', true)!);
  const channel: ChannelParams = { capabilities, relay, secret };
  if (callbacks) channel.callbacks = callbacks;
  if (params.get('x-age-keys') === '1') channel.ageKeys = true;
  const grant = (): GrantParams => {
    const clientId = one('cid', true)!;
    if (clientId.length > MAX_CLIENT_ID_LENGTH) throw bad(`cid is at most ${MAX_CLIENT_ID_LENGTH} characters`);
    return { clientId, clientKey: parseKey(one('cpk', true)!, 'cpk') };
  };
  switch (intent) {
    case 'signin':
      return { intent, ...channel };
    case 'signup':
      return { intent, ...channel, ...signup() };
    case 'signin_grant':
      return { intent, ...channel, ...grant() };
    default:
      return { intent: 'signup_grant', ...channel, ...signup(), ...grant() };
  }
}

function withCallbacks<T extends object>(link: T, callbacks: DeepLinkCallbacks | undefined): T {
  return callbacks ? { ...link, callbacks } : link;
}

function readCallbacks(params: URLSearchParams): DeepLinkCallbacks | undefined {
  const out: DeepLinkCallbacks = {};
  const source = params.get('x-source');
  const success = params.get('x-success') ?? params.get('callback');
  const error = params.get('x-error');
  const cancel = params.get('x-cancel');
  if (source) out.source = source;
  if (success) out.success = success;
  if (error) out.error = error;
  if (cancel) out.cancel = cancel;
  return Object.keys(out).length > 0 ? out : undefined;
}

function parseKey(value: string, name: string): PublicKey {
  try {
    return PublicKey.parseZ32(value);
  } catch (e) {
    throw bad(`${name} is not a z-base-32 public key: ${(e as Error).message}`);
  }
}

function parseRelay(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(`relay ${JSON.stringify(value.slice(0, 80))} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('the relay must be an http(s) URL');
  return value;
}

function parseSecret(value: string): Uint8Array {
  let secret: Uint8Array;
  try {
    secret = base64urlDecode(value);
  } catch (e) {
    throw bad(`secret is not base64url: ${(e as Error).message}`);
  }
  if (secret.length !== 32) throw bad(`secret must decode to 32 bytes, got ${secret.length}`);
  return secret;
}

/**
 * Writes a deep link with form-urlencoding in the reference's parameter order
 * (`caps, relay, secret[, hs[, st]][, cid, cpk]`), then the x-callback parameters.
 */
export function formatDeepLink(link: AuthDeepLink): string {
  const params = new URLSearchParams();
  if (link.intent !== 'direct_signup') {
    params.append('caps', Capabilities.parse(link.capabilities).toString());
    params.append('relay', parseRelay(link.relay));
    if (link.secret.length !== 32) throw bad('secret must be 32 bytes');
    params.append('secret', base64urlEncode(link.secret));
  }
  if (link.intent === 'signup' || link.intent === 'signup_grant' || link.intent === 'direct_signup') {
    params.append('hs', link.homeserver.z32);
    if (link.signupToken) params.append('st', link.signupToken);
  }
  if (link.intent === 'signin_grant' || link.intent === 'signup_grant') {
    if (!link.clientId || link.clientId.length > MAX_CLIENT_ID_LENGTH) {
      throw bad(`a client id is 1..${MAX_CLIENT_ID_LENGTH} characters`);
    }
    params.append('cid', link.clientId);
    params.append('cpk', link.clientKey.z32);
  }
  let query = params.toString();
  const cb = link.callbacks;
  if (cb) {
    const extra: Array<[string, string | undefined]> = [
      ['x-source', cb.source],
      ['x-success', cb.success],
      ['x-error', cb.error],
      ['x-cancel', cb.cancel],
    ];
    for (const [k, v] of extra) if (v) query += `${query ? '&' : ''}${k}=${encodeURIComponent(v)}`;
  }
  if (link.intent !== 'direct_signup' && link.ageKeys) query += `${query ? '&' : ''}x-age-keys=1`;
  return `pubkyauth://${link.intent}?${query}`;
}
