// Node's fetch keeps no cookies, so the SDK keeps the homeservers' session cookies itself. One jar
// per origin; a homeserver names each cookie after the user it belongs to (homeserver spec §3.3.2),
// so one origin holds the sessions of many users side by side.
import { splitCookiesString, parseSetCookie } from 'set-cookie-parser';

export interface StoredCookie {
  name: string;
  value: string;
  /** ms since the epoch; undefined = session cookie (kept for the life of the jar). */
  expires?: number;
}

const MAX_COOKIES_PER_ORIGIN = 256;
const MAX_VALUE_LENGTH = 4096;
const NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE_RE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** The origin (`scheme://host[:port]`) a cookie belongs to. */
export function cookieOrigin(url: string | URL): string {
  return new URL(url).origin;
}

export class CookieJar {
  private readonly origins = new Map<string, Map<string, StoredCookie>>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Stores what the `Set-Cookie` headers of a response to `url` say. Malformed cookies are ignored, as
   * a browser would; `Max-Age=0` or a past `Expires` removes the cookie.
   */
  storeFromResponse(url: string | URL, setCookie: string | string[] | null | undefined): void {
    if (!setCookie) return;
    const lines = Array.isArray(setCookie) ? setCookie : splitCookiesString(setCookie);
    const origin = cookieOrigin(url);
    for (const line of lines) {
      if (typeof line !== 'string' || line.length > 8192) continue;
      let parsed;
      try {
        parsed = parseSetCookie(line, { decodeValues: false });
      } catch {
        continue;
      }
      for (const c of parsed) {
        if (!c.name || !NAME_RE.test(c.name)) continue;
        let expires: number | undefined;
        if (c.maxAge !== undefined && Number.isFinite(c.maxAge)) expires = this.now() + c.maxAge * 1000;
        else if (c.expires instanceof Date && !Number.isNaN(c.expires.getTime())) expires = c.expires.getTime();
        if ((expires !== undefined && expires <= this.now()) || c.value === '') {
          this.delete(origin, c.name);
          continue;
        }
        if (c.value.length > MAX_VALUE_LENGTH || !VALUE_RE.test(c.value)) continue;
        this.set(origin, { name: c.name, value: c.value, expires });
      }
    }
  }

  set(origin: string, cookie: StoredCookie): void {
    let jar = this.origins.get(origin);
    if (!jar) {
      jar = new Map();
      this.origins.set(origin, jar);
    }
    jar.delete(cookie.name);
    if (jar.size >= MAX_COOKIES_PER_ORIGIN) jar.delete(jar.keys().next().value as string);
    jar.set(cookie.name, { ...cookie });
  }

  get(origin: string, name: string): StoredCookie | undefined {
    const jar = this.origins.get(origin);
    const c = jar?.get(name);
    if (!c) return undefined;
    if (c.expires !== undefined && c.expires <= this.now()) {
      jar!.delete(name);
      return undefined;
    }
    return c;
  }

  delete(origin: string, name: string): void {
    const jar = this.origins.get(origin);
    if (!jar) return;
    jar.delete(name);
    if (jar.size === 0) this.origins.delete(origin);
  }

  /**
   * The `Cookie` header for a request to `origin`: only the cookies named in `names` when given
   * (the SDK sends just the owner's session cookie), otherwise every live cookie of the origin.
   */
  header(origin: string, names?: string[]): string | null {
    const jar = this.origins.get(origin);
    if (!jar) return null;
    const wanted = names ?? [...jar.keys()];
    const parts: string[] = [];
    for (const name of wanted) {
      const c = this.get(origin, name);
      if (c) parts.push(`${c.name}=${c.value}`);
    }
    return parts.length > 0 ? parts.join('; ') : null;
  }

  /** Every live cookie, for inspection and tests. */
  list(origin: string): StoredCookie[] {
    const jar = this.origins.get(origin);
    if (!jar) return [];
    return [...jar.keys()].map((n) => this.get(origin, n)).filter((c): c is StoredCookie => c !== undefined);
  }
}
