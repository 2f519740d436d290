// Saved sessions of the SDK commands (signup, login, put, get, ls, rm, events, logout) and the
// client they share.
//
// The session file (default ~/.pubky/cli-sessions.json, or --session-file, or $PUBKY_SESSION_FILE)
// is JSON, mode 0600, keyed by user:
//   { "version": 1, "sessions": { "<user z32>": { "homeserver": "<z32>", "session": "pubky-session:…", "savedAt": "<ISO>" } } }
// `session` is what `session.export()` returns: it holds the session secret.
import { chmod, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PublicKey } from '@pubky-ts/common';
import { ClientError, parseResourceAddress, Pubky, PubkyHttpError, type ResourceAddress, type Session } from '@pubky-ts/client';
import { CliError } from './cli-error.ts';
import { networkOptions, networkUsage, openNetwork, type Network } from './network-options.ts';

export const SESSION_FILE_VERSION = 1;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface SavedSession {
  homeserver: string;
  session: string;
  savedAt: string;
}

export interface SessionFileData {
  version: number;
  sessions: Record<string, SavedSession>;
}

/** Options of every command that reads or writes the session file. */
export const sessionOptions = {
  'session-file': { type: 'string' as const },
};

export const sessionUsage = `      --session-file <f>    saved sessions (default $PUBKY_SESSION_FILE or ~/.pubky/cli-sessions.json)`;

/** Options of the commands that talk to homeservers: the network's, and the session file. */
export const clientOptions = {
  ...networkOptions,
  ...sessionOptions,
  'http-relay': { type: 'string' as const },
};

export const clientUsage = `${sessionUsage}
${networkUsage}
      --http-relay <url>    HTTP relay channel base for auth flows (default the public one; --testnet: localhost:15412/inbox)`;

export const exitCodesUsage = `Exit codes: 0 done, 1 failed (network, homeserver, not found, no saved session), 2 bad usage.`;

export function sessionFilePath(values: Record<string, unknown>): string {
  if (typeof values['session-file'] === 'string' && values['session-file'] !== '') return resolve(values['session-file']);
  const env = process.env.PUBKY_SESSION_FILE;
  if (env) return resolve(env);
  return join(homedir(), '.pubky', 'cli-sessions.json');
}

function malformed(path: string, why: string): CliError {
  return new CliError(`${path} is not a pubky session file (${why}); move it away or pass another --session-file`, 1);
}

/** Checks the shape of a parsed session file; throws CliError naming what is wrong. */
export function parseSessionFile(text: string, path: string): SessionFileData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw malformed(path, `invalid JSON: ${(e as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw malformed(path, 'not a JSON object');
  const { version, sessions } = data as { version?: unknown; sessions?: unknown };
  if (version !== SESSION_FILE_VERSION) throw malformed(path, `unknown version ${JSON.stringify(version)}`);
  if (typeof sessions !== 'object' || sessions === null || Array.isArray(sessions)) throw malformed(path, '"sessions" is not an object');
  const out: Record<string, SavedSession> = Object.create(null);
  for (const [user, entry] of Object.entries(sessions)) {
    if (!PublicKey.tryParse(user)) throw malformed(path, `${JSON.stringify(user.slice(0, 60))} is not a public key`);
    const e = entry as Partial<SavedSession> | null;
    if (typeof e !== 'object' || e === null || typeof e.session !== 'string' || typeof e.homeserver !== 'string') {
      throw malformed(path, `the entry of ${user} needs "session" and "homeserver" strings`);
    }
    out[user] = { homeserver: e.homeserver, session: e.session, savedAt: typeof e.savedAt === 'string' ? e.savedAt : '' };
  }
  return { version: SESSION_FILE_VERSION, sessions: out };
}

/** The saved sessions; an empty set when the file does not exist. */
export async function readSessionFile(path: string): Promise<SessionFileData> {
  let text: string;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw malformed(path, 'not a regular file');
    if (s.size > MAX_FILE_BYTES) throw malformed(path, `larger than ${MAX_FILE_BYTES} bytes`);
    if ((s.mode & 0o077) !== 0 && process.platform !== 'win32') {
      console.error(
        `warning: ${path} is readable by others (mode ${(s.mode & 0o777).toString(8)}); it holds session secrets: chmod 600 it`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: SESSION_FILE_VERSION, sessions: Object.create(null) };
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, 1);
  }
  return parseSessionFile(text, path);
}

/** Writes the whole file atomically (temporary file + rename), mode 0600, its directory 0700 when created. */
export async function writeSessionFile(path: string, data: SessionFileData): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600); // in case the umask took bits away or added none
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`, 1);
  }
}

export async function saveSession(path: string, session: Session): Promise<void> {
  const data = await readSessionFile(path);
  data.sessions[session.publicKey.z32] = {
    homeserver: session.homeserver.z32,
    session: session.export(),
    savedAt: new Date().toISOString(),
  };
  await writeSessionFile(path, data);
}

/** Forgets a user's session; answers whether there was one. */
export async function forgetSession(path: string, user: PublicKey): Promise<boolean> {
  const data = await readSessionFile(path);
  if (!data.sessions[user.z32]) return false;
  delete data.sessions[user.z32];
  await writeSessionFile(path, data);
  return true;
}

/**
 * The user a command is about when its address does not name one: --user, else the only saved
 * session. A clear error when that is ambiguous or there is none.
 */
export async function defaultUser(values: Record<string, unknown>): Promise<PublicKey> {
  if (typeof values.user === 'string') {
    const key = PublicKey.tryParse(values.user);
    if (!key) throw new CliError(`--user ${JSON.stringify(values.user)} is not a public key`);
    return key;
  }
  const path = sessionFilePath(values);
  const users = Object.keys((await readSessionFile(path)).sessions);
  if (users.length === 1) return PublicKey.parse(users[0]);
  if (users.length === 0) {
    throw new CliError(
      `no saved session in ${path}: sign in first (pubky login -k <key>), or give a full pubky://<user>/… address`,
      1,
      'no_session',
    );
  }
  throw new CliError(`${users.length} sessions are saved in ${path}: say whose with --user <key> or a full pubky://<user>/… address`);
}

/**
 * Parses `pubky://<user>/<path>` (or `pubky<user>/…`) or an absolute `/pub/…`, `/priv/…` path of the
 * default user. Errors name the argument.
 */
export async function parseTarget(arg: string | undefined, values: Record<string, unknown>, what = 'an address'): Promise<ResourceAddress> {
  if (arg === undefined || arg === '') throw new CliError(`give ${what}: pubky://<user>/pub/… or /pub/…`);
  const shown = JSON.stringify(arg.slice(0, 200));
  if (/^\.\.?(\/|$)/.test(arg)) {
    throw new CliError(
      `${shown} is a relative path; storage addresses are absolute in a user's tree: /pub/<app>/<file> or pubky://<user>/pub/…`,
    );
  }
  if (
    arg
      .split(/[?#]/)[0]
      .split('/')
      .some((s) => s === '..' || s === '.')
  ) {
    throw new CliError(
      `${shown} contains a "." or ".." segment; storage paths cannot step up or sideways: write the full path, e.g. /pub/<app>/<file>`,
    );
  }
  let target: ResourceAddress;
  try {
    if (arg.startsWith('/')) {
      const user = await defaultUser(values);
      target = parseResourceAddress(`pubky://${user.z32}${arg}`);
    } else {
      target = parseResourceAddress(arg);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${shown} is not a valid address: ${(e as Error).message}`);
  }
  if (!target.path.startsWith('/pub/') && !target.path.startsWith('/priv/')) {
    throw new CliError(`${shown} is not a valid address: storage paths start with /pub/ or /priv/ (got ${target.path.slice(0, 80)})`);
  }
  return target;
}

export function addressOf(target: ResourceAddress): string {
  return `pubky://${target.owner.z32}${target.path}`;
}

/** A Pubky client on the network the options name, and what to close afterwards. */
export interface ClientContext {
  pubky: Pubky;
  network: Network;
  sessionFile: string;
  close(): Promise<void>;
}

export async function openClient(values: Record<string, unknown>): Promise<ClientContext> {
  const network = await openNetwork(values);
  const httpRelay = typeof values['http-relay'] === 'string' ? values['http-relay'] : undefined;
  if (httpRelay !== undefined && !/^https?:\/\/[^/]/.test(httpRelay)) {
    await network.close();
    throw new CliError(`--http-relay must be an http(s) URL, got ${JSON.stringify(httpRelay)}`);
  }
  const pubky = new Pubky({ pkarr: network.pkarr, testnet: network.name === 'testnet' ? true : undefined, httpRelay });
  return { pubky, network, sessionFile: sessionFilePath(values), close: () => network.close() };
}

/** Restores the saved session of `user`; a clear error when none is saved or it has ended. */
export async function loadSession(ctx: ClientContext, user: PublicKey): Promise<Session> {
  const data = await readSessionFile(ctx.sessionFile);
  const saved = data.sessions[user.z32];
  if (!saved) {
    throw new CliError(
      `no saved session for ${user.z32} in ${ctx.sessionFile}: run \`pubky login -k <key>\` (or signup) first`,
      1,
      'no_session',
    );
  }
  try {
    return await ctx.pubky.restoreSession(saved.session);
  } catch (e) {
    if (e instanceof PubkyHttpError && (e.status === 401 || e.status === 404)) {
      throw new CliError(
        `the saved session of ${user.z32} has ended on its homeserver: run \`pubky login -k <key>\` again`,
        1,
        'no_session',
      );
    }
    if (e instanceof ClientError && e.code === 'invalid_session_export') {
      throw new CliError(`the saved session of ${user.z32} in ${ctx.sessionFile} is damaged (${e.message}): run \`pubky login\` again`, 1);
    }
    throw e;
  }
}
