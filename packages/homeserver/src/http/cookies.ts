import { isIP } from 'node:net';
import { parseCookie } from 'cookie';
import { PublicKey } from '@pubky-ts/common';

/** Cookie sessions live "forever" server-side; the browser keeps the cookie one year (spec §3.3.2). */
export const SESSION_COOKIE_MAX_AGE_S = 31_536_000;

type Headers = Record<string, string | string[] | undefined>;

function first(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** The host the cookie is for: `Forwarded: host=`, then `X-Forwarded-Host`, then `Host`. */
export function cookieHost(headers: Headers): string | undefined {
  const fwd = first(headers.forwarded);
  if (fwd) {
    const m = /(?:^|[;,\s])host=("?)([^";,\s]+)\1/i.exec(fwd);
    if (m) return m[2];
  }
  const xfh = first(headers['x-forwarded-host']);
  if (xfh) return xfh.split(',')[0]!.trim();
  return first(headers.host);
}

/**
 * `Secure; SameSite=None` only for "secure" hosts: a z32 key, or a DNS name with a dot. IP
 * literals, `localhost`, single labels and any `host:port` form get neither, so plain-HTTP testnets
 * and Node cookie jars keep the cookie.
 */
export function isSecureCookieHost(host: string | undefined): boolean {
  if (!host) return false;
  if (host.includes(':') || host.startsWith('[')) return false;
  if (isIP(host)) return false;
  if (host.length >= 52 && PublicKey.tryParse(host)) return true;
  return host.includes('.') && /^[A-Za-z0-9.-]+$/.test(host);
}

function attributes(secure: boolean): string {
  return secure ? 'HttpOnly; SameSite=None; Secure; Path=/' : 'HttpOnly; Path=/';
}

/** `Set-Cookie` for a new session: named after the user's key, Max-Age and Expires one year. */
export function sessionCookie(user: string, secret: string, headers: Headers, nowMs = Date.now()): string {
  const expires = new Date(nowMs + SESSION_COOKIE_MAX_AGE_S * 1000).toUTCString();
  return `${user}=${secret}; ${attributes(isSecureCookieHost(cookieHost(headers)))}; Max-Age=${SESSION_COOKIE_MAX_AGE_S}; Expires=${expires}`;
}

/** `Set-Cookie` that removes the cookie of `user` (sign-out). */
export function removalCookie(user: string, headers: Headers): string {
  return `${user}=; ${attributes(isSecureCookieHost(cookieHost(headers)))}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}

// The last Cookie header parsed: a client sends the same one on every request of a connection.
let lastHeader = '';
let lastCookies = new Map<string, string>();

/** The value of the cookie named `name` (a user's z32), or undefined. Never throws. */
export function readCookie(headers: Headers, name: string): string | undefined {
  const raw = headers.cookie;
  if (!raw) return undefined;
  const text = Array.isArray(raw) ? raw.join('; ') : raw;
  if (!text.includes(name)) return undefined;
  if (text !== lastHeader) {
    let cookies: Map<string, string>;
    try {
      cookies = new Map(Object.entries(parseCookie(text)).filter((e): e is [string, string] => e[1] !== undefined));
    } catch {
      return undefined;
    }
    lastHeader = text;
    lastCookies = cookies;
  }
  return lastCookies.get(name);
}
