import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthToken, Keypair } from '@pubky-ts/common';
import { resolveConfig } from '../src/config/load-config.ts';
import { startHomeserver, type RunningHomeserver, type StartHomeserverOptions } from '../src/server.ts';

export interface TestServer extends RunningHomeserver {
  dataDir: string;
  /** Fetch against the client API: `path` relative to url. */
  req(path: string, init?: RequestInit): Promise<Response>;
  admin(path: string, init?: RequestInit & { headers?: Record<string, string> }): Promise<Response>;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'hs-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An in-process homeserver on random loopback ports, quiet, open signup unless overridden. */
export async function startTestServer(
  overrides: Record<string, Record<string, unknown>> = {},
  options: StartHomeserverOptions & { dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const cfg = resolveConfig(dataDir, {
    ...overrides,
    general: { signup_mode: 'open', ...(overrides.general ?? {}) },
    drive: { icann_listen_socket: '127.0.0.1:0', ...(overrides.drive ?? {}) },
    admin: { listen_socket: '127.0.0.1:0', admin_password: 'admin', ...(overrides.admin ?? {}) },
    logging: { level: 'silent', ...(overrides.logging ?? {}) },
  });
  const hs = await startHomeserver(cfg, options);
  return {
    ...hs,
    dataDir,
    req: (path, init) => fetch(hs.url + path, init),
    admin: (path, init) => fetch(hs.adminUrl + path, { ...init, headers: { 'x-admin-password': 'admin', ...(init?.headers ?? {}) } }),
    async stop() {
      await hs.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function authToken(kp: Keypair, caps = '/:rw', ts?: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(AuthToken.sign(kp, caps, ts).serialize());
}

/** Signs up `kp` (open mode) and returns the `Cookie` header value for its session. */
export async function signup(
  hs: TestServer,
  kp = Keypair.random(),
  caps = '/:rw',
  query = '',
): Promise<{ kp: Keypair; cookie: string; res: Response }> {
  const res = await hs.req(`/signup${query}`, { method: 'POST', body: authToken(kp, caps), headers: { 'pubky-host': hs.publicKey.z32 } });
  const set = res.headers.get('set-cookie') ?? '';
  return { kp, cookie: set.split(';')[0]!, res };
}

/** Headers for a legacy request of `kp`'s tenant with its cookie. */
export function as(kp: Keypair, cookie?: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'pubky-host': kp.publicKey.z32, ...(cookie ? { cookie } : {}), ...extra };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A request whose path goes on the wire byte for byte (fetch/WHATWG URL would resolve `%2e%2e`,
 * `..` and backslashes before sending).
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Uint8Array | string,
): Promise<RawResponse> {
  const u = new URL(baseUrl);
  const h = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
