import { existsSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { HomeserverConfig, SocketAddress } from '../config/config.ts';
import { migrations } from '../db/migrations/index.ts';
import { pgMigrations } from '../db/postgres/migrations/index.ts';
import type { CheckResult } from './check-result.ts';
import { isLoopback, isPrivateAddress } from './addresses.ts';

const GiB = 1024 ** 3;

/** The checks that need nothing but this machine. */
export async function localChecks(config: HomeserverConfig): Promise<CheckResult[]> {
  return [
    dataDirCheck(config.dataDir),
    secretKeyCheck(config.dataDir),
    await databaseCheck(config),
    await socketCheck('client API', config.drive.icannListen),
    ...(config.admin.enabled ? [await socketCheck('admin API', config.admin.listen), adminPasswordCheck(config)] : []),
    ...(config.metrics.enabled ? [await socketCheck('metrics', config.metrics.listen)] : []),
    publicAddressCheck(config),
    backupInfo(config),
  ];
}

function dataDirCheck(dir: string): CheckResult {
  if (!existsSync(dir)) {
    return {
      check: 'data-dir',
      status: 'info',
      message: `data directory ${dir} does not exist yet; the first start creates it (mode 0700)`,
    };
  }
  const probe = join(dir, `.doctor-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    return {
      check: 'data-dir',
      status: 'fail',
      message: `data directory ${dir} is not writable (${(e as Error).message})`,
      fix: `give the user that runs the homeserver write access: chown -R <user> ${dir}`,
    };
  }
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  const freeText = `${(free / GiB).toFixed(1)} GiB free`;
  if (free < GiB / 10)
    return {
      check: 'data-dir',
      status: 'fail',
      message: `data directory ${dir}: only ${freeText}`,
      fix: 'free disk space or move the data directory: writes fail with 507/503 when the disk is full',
    };
  if (free < GiB)
    return {
      check: 'data-dir',
      status: 'warn',
      message: `data directory ${dir}: ${freeText}`,
      fix: "less than 1 GiB is left for users' files and the database",
    };
  return { check: 'data-dir', status: 'ok', message: `data directory ${dir} is writable (${freeText})` };
}

function secretKeyCheck(dir: string): CheckResult {
  const path = join(dir, 'secret');
  if (!existsSync(path))
    return { check: 'secret-key', status: 'info', message: `no homeserver key at ${path} yet; the first start creates one (mode 0600)` };
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    return {
      check: 'secret-key',
      status: 'fail',
      message: `the homeserver key ${path} cannot be read (${(e as Error).message})`,
      fix: 'the user that runs the homeserver must own it',
    };
  }
  if (!/^[0-9a-f]{64}$/.test(text)) {
    return {
      check: 'secret-key',
      status: 'fail',
      message: `the homeserver key ${path} is not 64 lowercase hex characters`,
      fix: "restore it from your backup: this key is the homeserver's identity (a new key is a new homeserver)",
    };
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    return {
      check: 'secret-key',
      status: 'warn',
      message: `the homeserver key ${path} is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`,
      fix: `chmod 600 ${path}`,
    };
  }
  return { check: 'secret-key', status: 'ok', message: `homeserver key ${path} (mode 0600)` };
}

/** A schema newer than this code means the database was upgraded by a newer homeserver. */
function schemaVerdict(where: string, applied: number[], known: number[]): CheckResult {
  const unknown = applied.filter((id) => !known.includes(id));
  if (unknown.length) {
    return {
      check: 'database',
      status: 'fail',
      message: `${where} has schema migrations this homeserver does not know (${unknown.join(', ')}): a newer homeserver upgraded it`,
      fix: 'upgrade this homeserver to the version that wrote the database (it refuses to start on it)',
    };
  }
  const pending = known.length - applied.length;
  return {
    check: 'database',
    status: 'ok',
    message: `${where}: schema ${applied.length ? `at migration ${Math.max(...applied)}` : 'empty'}${pending > 0 ? ` (${pending} migration(s) will run at the next start)` : ''}`,
  };
}

async function databaseCheck(config: HomeserverConfig): Promise<CheckResult> {
  const known = (config.general.databaseUrl ? pgMigrations : migrations).map((m) => m.id);
  if (config.general.databaseUrl) {
    const url = new URL(config.general.databaseUrl);
    const where = `PostgreSQL ${url.host}${url.pathname}`;
    const client = new pg.Client({ connectionString: config.general.databaseUrl, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      const exists = await client.query("SELECT to_regclass('migrations') AS t");
      const applied = exists.rows[0].t
        ? (await client.query<{ id: number }>('SELECT id FROM migrations')).rows.map((r) => Number(r.id))
        : [];
      return schemaVerdict(where, applied, known);
    } catch (e) {
      return {
        check: 'database',
        status: 'fail',
        message: `${where} cannot be reached (${(e as Error).message})`,
        fix: 'check general.database_url, that PostgreSQL runs and that this user may connect',
      };
    } finally {
      await client.end().catch(() => {});
    }
  }
  const file = join(config.dataDir, 'homeserver.sqlite');
  if (!existsSync(file)) return { check: 'database', status: 'info', message: `no database at ${file} yet; the first start creates it` };
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").get();
      const applied = has
        ? db
            .prepare<[], { id: number }>('SELECT id FROM migrations')
            .all()
            .map((r) => r.id)
        : [];
      return schemaVerdict(`SQLite ${file}`, applied, known);
    } finally {
      db.close();
    }
  } catch (e) {
    return {
      check: 'database',
      status: 'fail',
      message: `SQLite ${file} cannot be opened (${(e as Error).message})`,
      fix: 'restore the data directory from a backup, or check its permissions',
    };
  }
}

function canConnect(address: SocketAddress): Promise<boolean> {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(address.port, host);
  });
}

function canBind(address: SocketAddress): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    server.listen(address.port, address.host, () => server.close(() => resolve(null)));
  });
}

async function socketCheck(what: string, address: SocketAddress): Promise<CheckResult> {
  const at = `${address.host}:${address.port}`;
  const check = `socket-${what.replace(/\W+/g, '-')}`;
  if (address.port === 0) return { check, status: 'info', message: `${what}: ${address.host}, a free port picked at each start` };
  // bind first: it never sends anything, while a connect to an address that is not ours would
  const error = await canBind(address);
  if (error === null) return { check, status: 'ok', message: `${what}: ${at} is free (the homeserver is not running)` };
  if (error === 'EADDRINUSE' && (await canConnect(address)))
    return { check, status: 'ok', message: `${what}: something listens on ${at} (the homeserver is running)` };
  const fix =
    error === 'EACCES'
      ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE: use a port above 1024 behind a reverse proxy'
      : error === 'EADDRNOTAVAIL'
        ? 'this machine has no such address: use 0.0.0.0, 127.0.0.1 or one of its own addresses'
        : 'another program holds it: stop it or choose another port';
  return { check, status: 'fail', message: `${what}: cannot listen on ${at} (${error})`, fix };
}

function adminPasswordCheck(config: HomeserverConfig): CheckResult {
  const exposed = !isLoopback(config.admin.listen.host);
  const at = `${config.admin.listen.host}:${config.admin.listen.port}`;
  if (config.admin.password === '' || config.admin.password === 'admin') {
    const message = `the admin password is ${config.admin.password === '' ? 'empty' : 'the default "admin"'}`;
    const fix = 'set admin.admin_password (or PUBKY_ADMIN__ADMIN_PASSWORD) to a long random string';
    return exposed
      ? {
          check: 'admin-password',
          status: 'fail',
          message: `${message} and the admin API listens on ${at}, reachable from other machines`,
          fix,
        }
      : { check: 'admin-password', status: 'warn', message: `${message} (the admin API listens on loopback only, ${at})`, fix };
  }
  return {
    check: 'admin-password',
    status: exposed ? 'warn' : 'ok',
    message: `admin API on ${at} has its own password`,
    ...(exposed ? { fix: 'the admin API is reachable from other machines: keep it on 127.0.0.1 or behind a firewall' } : {}),
  };
}

function publicAddressCheck(config: HomeserverConfig): CheckResult {
  const { publicIp, icannDomain } = config.pkdns;
  if (icannDomain === 'localhost') {
    return {
      check: 'public-address',
      status: 'info',
      message: `a local setup: the packet names localhost and ${publicIp} (only this machine can reach it)`,
    };
  }
  if (isLoopback(publicIp) || isPrivateAddress(publicIp)) {
    return {
      check: 'public-address',
      status: 'warn',
      message: `the packet will publish pkdns.public_ip = ${publicIp}, which other machines on the internet cannot reach`,
      fix: "set pkdns.public_ip to this machine's public address",
    };
  }
  return { check: 'public-address', status: 'ok', message: `the packet publishes ${publicIp} and the domain ${icannDomain || '(none)'}` };
}

function backupInfo(config: HomeserverConfig): CheckResult {
  const what = config.general.databaseUrl
    ? `${join(config.dataDir, 'secret')}, the PostgreSQL database (pg_dump) and the blob storage`
    : `the whole data directory ${config.dataDir} (key, SQLite database, blobs; stop the homeserver or use "sqlite3 .backup" for the database)`;
  return { check: 'backup', status: 'info', message: `back up ${what}; losing the key loses the homeserver's identity` };
}
