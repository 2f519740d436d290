// Test fixtures: a real homeserver on a random loopback port whose PKARR packet goes to an in-memory
// packet source (or a real pkarr relay when one is given), like the static testnet publishes it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@pubky-ts/common';
import { resolveConfig, startHomeserver, type RunningHomeserver } from '@pubky-ts/homeserver';
import { SignedPacket } from '@pubky-ts/pkarr';
import type { PacketSource } from '@pubky-ts/client';

export interface TestHomeserver extends RunningHomeserver {
  signupToken(): Promise<string>;
  stop(): Promise<void>;
}

export function homeserverPacket(keypair: Keypair, httpPort: number): SignedPacket {
  return SignedPacket.sign(keypair, [
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 1, target: '.', params: { port: 6287, ipv4hint: ['127.0.0.1'] } },
    {
      type: 'HTTPS',
      name: '.',
      ttl: 3600,
      priority: 10,
      target: 'localhost',
      params: { other: [{ key: 65280, value: Uint8Array.of(httpPort >> 8, httpPort & 0xff) }] },
    },
    { type: 'A', name: '.', ttl: 3600, address: '127.0.0.1' },
  ]);
}

/** Starts a homeserver (token_required unless `open`) and publishes its packet to `source`. */
export async function startTestHomeserver(source: PacketSource, options: { open?: boolean } = {}): Promise<TestHomeserver> {
  const dataDir = mkdtempSync(join(tmpdir(), 'client-test-'));
  const config = resolveConfig(dataDir, {
    general: { signup_mode: options.open ? 'open' : 'token_required' },
    drive: { icann_listen_socket: '127.0.0.1:0' },
    admin: { listen_socket: '127.0.0.1:0', admin_password: 'admin' },
    logging: { level: 'silent' },
  });
  const hs = await startHomeserver(config, {
    keypair: Keypair.random(),
    publisher: async (info) => {
      await source.publish(homeserverPacket(info.keypair, info.icannPort));
    },
  });
  return {
    ...hs,
    async signupToken() {
      const res = await fetch(`${hs.adminUrl}/generate_signup_token`, { headers: { 'x-admin-password': 'admin' } });
      if (!res.ok) throw new Error(`admin answered ${res.status}`);
      return (await res.text()).trim();
    },
    async stop() {
      await hs.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fetch that records requests and can hide `/info` (to exercise legacy addressing). */
export function recordingFetch(options: { hideInfo?: boolean } = {}) {
  const log: Array<{ method: string; url: string; headers: Record<string, string> }> = [];
  const fn = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = input.toString();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    log.push({ method: init.method ?? 'GET', url, headers });
    if (options.hideInfo && new URL(url).pathname === '/info') return new Response('Not Found', { status: 404 });
    return fetch(input, init);
  };
  return { fn, log };
}
