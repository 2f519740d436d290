// Helpers for the scale-out fault tests: a private PostgreSQL cluster (so a test may stop and restart
// it without touching the machine's shared one), a homeserver cluster on a database, an SSE reader.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { AuthToken, Keypair } from '@pubky-ts/common';
import { startHomeserverCluster, type HomeserverCluster } from '../src/homeserver-cluster.ts';

const run = promisify(execFile);
const PG_BIN = process.env.PUBKY_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const SHARED_DATABASE_URL = process.env.PUBKY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface PrivatePostgres {
  url: string;
  /** `fast`: clean shutdown; `immediate`: a crash (recovery from WAL at the next start). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster (initdb in a temp dir, trust auth, 127.0.0.1 on a free port). As root,
 * initdb refuses to run, so the binaries then run as the `postgres` user on a directory it owns.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'pubky-pg-'));
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | null = null;
  if (asRoot) {
    const id = (flag: string) => run('id', [flag, 'postgres']).then((r) => Number(r.stdout.trim()));
    owner = { uid: await id('-u'), gid: await id('-g') };
    chownSync(dir, owner.uid, owner.gid);
  }
  const exec = (bin: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { timeout: 60_000 })
      : run(join(PG_BIN, bin), args, { timeout: 60_000 });
  const data = join(dir, 'data');
  const port = await freePort();
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions']);
  const ctl = (args: string[]) => exec('pg_ctl', ['-D', data, '-w', '-t', '30', ...args]);
  const start = async () => {
    await ctl(['-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60`, 'start']);
  };
  let running = false;
  try {
    await start();
    running = true;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop(mode) {
      await ctl(['-m', mode, 'stop']);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await ctl(['-m', 'immediate', 'stop']).catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one statement on a fresh connection. */
export async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${url}: ${(e as Error).message} (.ci/run starts it)`);
  }
  try {
    await c.query(text);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh database on the shared test cluster, dropped by `drop()`. */
export async function tempDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `fault_${randomBytes(6).toString('hex')}`;
  await sql(SHARED_DATABASE_URL, `CREATE DATABASE ${name}`);
  const url = new URL(SHARED_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => sql(SHARED_DATABASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** `instances` homeserver processes (the CLI) on `databaseUrl` behind the load balancer; offline (no PKARR publishing). */
export async function startCluster(
  databaseUrl: string,
  instances: number,
): Promise<{ cluster: HomeserverCluster; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pubky-cluster-'));
  mkdirSync(dataDir, { recursive: true });
  try {
    const cluster = await startHomeserverCluster({
      instances,
      dataDir,
      keypair: Keypair.random(),
      port: 0,
      adminPort: 0,
      publish: false,
      config: {
        general: { signup_mode: 'open', database_url: databaseUrl },
        drive: { rate_limits: [] },
        admin: { admin_password: 'admin' },
        pkdns: { public_ip: '127.0.0.1', icann_domain: 'localhost', dht_bootstrap_nodes: [], dht_relay_nodes: ['http://127.0.0.1:9'] },
        logging: { level: 'silent' },
      },
    });
    return {
      cluster,
      async close() {
        await cluster.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** Signs a new user up through `url`; returns the headers of an authenticated request. */
export async function signup(url: string): Promise<{ user: Keypair; headers: Record<string, string> }> {
  const user = Keypair.random();
  const res = await fetch(`${url}/signup`, { method: 'POST', body: Buffer.from(AuthToken.sign(user, '/:rw').serialize()) });
  if (res.status !== 200) throw new Error(`signup answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0];
  return { user, headers: { 'pubky-host': user.publicKey.z32, cookie } };
}

export interface SseEvent {
  type: string;
  /** `pubky://<user><path>` */
  uri: string;
  id: number;
  /** base64 BLAKE3 of the content (PUT only), as in the ETag. */
  hash: string | null;
}

/**
 * Reads an `/events-stream` response until it ends or fails, calling `onEvent` per event. Resolves
 * with how it ended ('end' or the error); a malformed frame is an error.
 */
export async function readSse(res: Response, onEvent: (e: SseEvent) => void): Promise<'end' | Error> {
  if (!res.body) return new Error('no body');
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (frame.startsWith(':') || frame === '') continue; // keep-alive comment
        const type = /^event: (\w+)$/m.exec(frame)?.[1];
        const uri = /^data: (pubky:\/\/\S+)$/m.exec(frame)?.[1];
        const id = /^data: cursor: (\d+)$/m.exec(frame)?.[1];
        if (!type || !uri || !id) throw new Error(`malformed SSE frame ${JSON.stringify(frame)}`);
        const hash = /^data: content_hash: (\S+)$/m.exec(frame)?.[1] ?? null;
        onEvent({ type, uri, id: Number(id), hash });
      }
    }
    return 'end';
  } catch (e) {
    return e as Error;
  }
}

/** Resolves when `pred()` holds, polling; rejects after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
