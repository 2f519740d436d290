// Helpers of the mirror tests and benchmark: a user's root cookie session on a homeserver (without
// touching their PKARR record), the mirror routes, and bounded polling of the mirror status.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthToken, type Keypair, type MirrorStatus } from '@pubky-ts/common';

/** Signs up (or in) on `baseUrl` with an AuthToken of `caps`; returns the `Cookie` header value. */
export async function cookieSession(
  baseUrl: string,
  user: Keypair,
  caps = '/:rw',
  path: '/signup' | '/session' = '/signup',
): Promise<string> {
  const token = AuthToken.sign(user, caps);
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', body: Buffer.from(token.serialize()) });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  const setCookie = res.headers.get('set-cookie') ?? '';
  const m = new RegExp(`${user.publicKey.z32}=([^;]+)`).exec(setCookie);
  if (!m) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return `${user.publicKey.z32}=${m[1]}`;
}

export interface MirrorCall {
  status: number;
  text: string;
  json: MirrorStatus | null;
}

/** `PUT/GET/DELETE /mirror` on `baseUrl` as `user` with `cookie` (or none). */
export async function mirrorCall(
  baseUrl: string,
  method: 'PUT' | 'GET' | 'DELETE',
  user: string | null,
  cookie: string | null,
  body?: string,
): Promise<MirrorCall> {
  const headers: Record<string, string> = {};
  if (user) headers['pubky-host'] = user;
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}/mirror`, { method, headers, body });
  const text = await res.text();
  let json: MirrorStatus | null = null;
  try {
    json = res.ok && text ? (JSON.parse(text) as MirrorStatus) : null;
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}

/** Polls GET /mirror until `done(status)` holds; throws with the last status after `timeoutMs`. */
export async function waitForMirror(
  baseUrl: string,
  user: string,
  cookie: string,
  done: (s: MirrorStatus) => boolean,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<MirrorStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: MirrorCall | null = null;
  while (Date.now() < deadline) {
    last = await mirrorCall(baseUrl, 'GET', user, cookie);
    if (last.json && done(last.json)) return last.json;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`mirror status did not reach the expected state within ${timeoutMs} ms; last: ${last?.status} ${last?.text}`);
}

/** What passed through a PrimaryProxy. */
export interface ProxyLog {
  /** Request lines (`GET /pub/...`, `GET /events-stream?...`). */
  requests: string[];
}

/**
 * A reverse proxy in front of a real homeserver, to count what a mirror fetches and to play a
 * hostile primary: with `flip`, file bodies are served with their first byte changed (headers,
 * ETag included, untouched).
 */
export class PrimaryProxy {
  readonly log: ProxyLog = { requests: [] };
  flip = false;
  private server: Server | null = null;

  /** The upstream origin; may be set after start (when the primary starts after its proxy). */
  constructor(public target: string) {}

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const target = new URL(this.target);
      this.log.requests.push(`${req.method} ${req.url}`);
      const flip = this.flip && req.method === 'GET' && /^\/(pub|priv)\//.test(req.url ?? '');
      const up = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upRes: IncomingMessage) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          let first = true;
          upRes.on('data', (chunk: Buffer) => {
            if (flip && first && chunk.length > 0) {
              chunk = Buffer.from(chunk);
              chunk[0] ^= 0xff;
            }
            first = false;
            res.write(chunk);
          });
          upRes.on('end', () => res.end());
          upRes.on('error', () => res.destroy());
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      res.on('close', () => up.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** File GETs (storage paths) seen so far. */
  fileGets(): string[] {
    return this.log.requests.filter((r) => /^GET \/(pub|priv)\//.test(r));
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
