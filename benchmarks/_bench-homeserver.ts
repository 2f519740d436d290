// Shared by the homeserver benchmarks (the runner skips files starting with `_`): a homeserver in
// this process with open sign-up, no rate limits, no admin server, quiet logs, on a random port of a
// fresh temp directory, and one user signed up with a root session.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RunningHomeserver } from '../packages/homeserver/src/server.ts';

export interface BenchHomeserver {
  hs: RunningHomeserver;
  port: number;
  /** The temp directory (the server's data is in `hs/` under it; benchmarks may add their own files). */
  dir: string;
  /** The signed-up user's key (z32) and session cookie (`name=value`). */
  z32: string;
  cookie: string;
  /** Stops the server and removes the temp directory. */
  close(): Promise<void>;
}

const HERE = fileURLToPath(new URL('..', import.meta.url));

/** `root`: the checkout whose homeserver runs (another worktree for A/B runs); this one by default. */
export async function startBenchHomeserver(prefix: string, root = HERE, storeExtras?: Record<string, unknown>): Promise<BenchHomeserver> {
  const load = (p: string) => import(pathToFileURL(join(root, p)).href);
  const { resolveConfig } = await load('packages/homeserver/src/config/load-config.ts');
  const { startHomeserver } = await load('packages/homeserver/src/server.ts');
  const { AuthToken, Keypair } = await load('packages/common/src/index.ts');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cfg = resolveConfig(join(dir, 'hs'), {
    general: { signup_mode: 'open' },
    drive: { icann_listen_socket: '127.0.0.1:0', rate_limits: [] },
    admin: { enabled: false },
    logging: { level: 'error' },
  });
  // storeExtras: the embedded store opened with extra options (e.g. `versioning: false`).
  const store = storeExtras
    ? await (await load('packages/homeserver/src/storage/open-store.ts')).openHomeserverStore({ dataDir: cfg.dataDir, ...storeExtras })
    : undefined;
  const hs: RunningHomeserver = await startHomeserver(cfg, { store });
  const kp = Keypair.random();
  const su = await fetch(`${hs.url}/signup`, { method: 'POST', body: new Uint8Array(AuthToken.sign(kp, '/:rw').serialize()) });
  const cookie = su.headers.get('set-cookie')!.split(';')[0]!;
  return {
    hs,
    port: Number(new URL(hs.url).port),
    dir,
    z32: kp.publicKey.z32,
    cookie,
    close: async () => {
      await hs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
