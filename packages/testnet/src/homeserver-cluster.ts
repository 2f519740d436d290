import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Keypair, PublicKey } from '@pubky-ts/common';
import { writeSecretKeyFile } from '@pubky-ts/common/node';
import { stringify } from 'smol-toml';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.ts';

const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

export interface HomeserverInstance {
  index: number;
  url: string;
  adminUrl: string | null;
  process: ChildProcess;
}

export interface HomeserverCluster {
  /** The load balancer's URL: what clients use. */
  url: string;
  /** The first instance's admin API. */
  adminUrl: string | null;
  publicKey: PublicKey;
  instances: HomeserverInstance[];
  loadBalancer: LoadBalancer;
  /** SIGKILL one instance (fault tests); the load balancer skips it from then on. */
  kill(index: number): void;
  close(): Promise<void>;
}

export interface HomeserverClusterOptions {
  instances: number;
  dataDir: string;
  keypair: Keypair;
  /** The homeserver config shared by every instance (TOML tables), written to `<dataDir>/config.toml`. */
  config: Record<string, Record<string, unknown>>;
  /** Port of the load balancer (0: random). */
  port: number;
  host?: string;
  /** Admin port of the first instance (0: random). */
  adminPort: number;
  /** Whether the first instance publishes the PKARR packet (default true; false for offline tests). */
  publish?: boolean;
}

/** Starts one homeserver process and waits for the addresses it prints. */
function startInstance(index: number, dataDir: string, args: string[], withAdmin: boolean): Promise<HomeserverInstance> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'homeserver', '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`homeserver instance ${index} did not start within 30 s\n${err}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('exit', (code) => fail(new Error(`homeserver instance ${index} exited (${code}) before it was ready\n${err}`)));
    child.stdout!.on('data', (d) => {
      out += d;
      const api = /client API\s+(\S+)/.exec(out);
      const admin = /admin API\s+(\S+)/.exec(out);
      if (api && /client API\s+\S+\n/.test(out) && (!withAdmin || /admin API\s+\S+\n/.test(out))) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ index, url: api[1], adminUrl: admin?.[1] ?? null, process: child });
      }
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Several homeserver processes sharing one PostgreSQL database and one key, behind a small
 * round-robin load balancer. The first instance publishes the PKARR packet (advertising the load
 * balancer's port) and runs the republishers; the others serve requests only.
 */
export async function startHomeserverCluster(options: HomeserverClusterOptions): Promise<HomeserverCluster> {
  await writeSecretKeyFile(join(options.dataDir, 'secret'), options.keypair);
  const instances: HomeserverInstance[] = [];
  const loadBalancer = await startLoadBalancer({ port: options.port, host: options.host, backends: [] });
  const config = structuredClone(options.config);
  config.pkdns = { ...config.pkdns, public_icann_http_port: loadBalancer.port };
  writeFileSync(join(options.dataDir, 'config.toml'), stringify(config));
  const close = async () => {
    await loadBalancer.close();
    await Promise.all(instances.map((i) => stop(i.process)));
  };
  try {
    const base = ['--set', 'drive.icann_listen_socket="127.0.0.1:0"'];
    const first = [
      ...base,
      '--set',
      `admin.listen_socket="127.0.0.1:${options.adminPort}"`,
      ...(options.publish === false ? ['--no-publish'] : []),
    ];
    instances.push(await startInstance(0, options.dataDir, first, true));
    const rest = await Promise.all(
      Array.from({ length: options.instances - 1 }, (_, i) =>
        startInstance(i + 1, options.dataDir, [...base, '--set', 'admin.enabled=false', '--no-publish'], false),
      ),
    );
    instances.push(...rest);
    loadBalancer.setBackends(instances.map((i) => i.url));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    url: loadBalancer.url,
    adminUrl: instances[0].adminUrl,
    publicKey: options.keypair.publicKey,
    instances,
    loadBalancer,
    kill(index) {
      instances[index].process.kill('SIGKILL');
    },
    close,
  };
}
