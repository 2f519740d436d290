import { lookup } from 'node:dns/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, type PublicKey } from '@pubky-ts/common';
import { DEFAULT_BOOTSTRAP, DhtNode } from '@pubky-ts/dht';
import { endpointRecords, Pkarr, pubkyHttpPort, type DhtBackend, type SignedPacket } from '@pubky-ts/pkarr';
import type { HomeserverConfig } from '../config/config.ts';
import type { CheckResult } from './check-result.ts';

interface NetOptions {
  timeoutMs: number;
}

/** The checks that ask other machines: DNS, HTTPS through the public domain, the relays, the DHT. */
export async function networkChecks(config: HomeserverConfig, options: NetOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const domain = config.pkdns.icannDomain;
  if (domain && domain !== 'localhost') {
    results.push(await domainCheck(domain, config.pkdns.publicIp));
    results.push(await httpsCheck(domain, config.pkdns.publicIcannHttpPort, options.timeoutMs));
  }
  const key = homeserverKey(config.dataDir);
  const bootstrap = config.pkdns.dhtBootstrapNodes ?? DEFAULT_BOOTSTRAP;
  const dht = await dhtCheck(bootstrap, config.pkdns.dhtRequestTimeoutMs ?? Math.min(options.timeoutMs, 2000));
  results.push(dht.result);
  try {
    if (key) {
      results.push(
        await packetCheck('relays', key, config, new Pkarr({ relays: config.pkdns.dhtRelayNodes, requestTimeoutMs: options.timeoutMs })),
      );
      if (dht.node)
        results.push(
          await packetCheck(
            'the DHT',
            key,
            config,
            new Pkarr({ relays: [], dht: dht.node as DhtBackend, requestTimeoutMs: options.timeoutMs }),
          ),
        );
    } else {
      results.push({
        check: 'pkarr-packet',
        status: 'info',
        message: 'no homeserver key yet, so no packet to look for: start the homeserver once',
      });
    }
  } finally {
    await dht.node?.close();
  }
  return results;
}

function homeserverKey(dataDir: string): PublicKey | null {
  const path = join(dataDir, 'secret');
  if (!existsSync(path)) return null;
  try {
    return Keypair.fromSecretKeyHex(readFileSync(path, 'utf8').trim()).publicKey;
  } catch {
    return null; // the secret-key check reports it
  }
}

async function domainCheck(domain: string, publicIp: string): Promise<CheckResult> {
  try {
    const addresses = (await lookup(domain, { all: true })).map((a) => a.address);
    if (!addresses.includes(publicIp)) {
      return {
        check: 'domain',
        status: 'warn',
        message: `${domain} resolves to ${addresses.join(', ')}, not to pkdns.public_ip ${publicIp}`,
        fix: "fine behind a proxy or CDN; otherwise point the domain's A/AAAA record at this machine or fix pkdns.public_ip",
      };
    }
    return { check: 'domain', status: 'ok', message: `${domain} resolves to ${addresses.join(', ')}` };
  } catch (e) {
    return {
      check: 'domain',
      status: 'fail',
      message: `${domain} does not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      fix: `create an A (and AAAA) record for ${domain} pointing at this machine`,
    };
  }
}

async function httpsCheck(domain: string, port: number | null, timeoutMs: number): Promise<CheckResult> {
  const url = `https://${domain}${port && port !== 443 ? `:${port}` : ''}/`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const body = await res.text();
    if (res.status === 200 && body.startsWith('Pubky Homeserver'))
      return { check: 'https', status: 'ok', message: `${url} reaches a Pubky homeserver over HTTPS` };
    return {
      check: 'https',
      status: 'fail',
      message: `${url} answers ${res.status}, but not as a Pubky homeserver`,
      fix: 'the reverse proxy must pass every path and the Host header to drive.icann_listen_socket',
    };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return {
      check: 'https',
      status: 'fail',
      message: `${url} cannot be reached (${cause?.code ?? cause?.message ?? (e as Error).message})`,
      fix: 'run a reverse proxy with a certificate for the domain (Caddy gets one by itself) in front of drive.icann_listen_socket, and open port 443',
    };
  }
}

async function pingEntry(node: DhtNode, entry: string): Promise<boolean> {
  const at = entry.lastIndexOf(':');
  try {
    const { address } = await lookup(entry.slice(0, at), { family: 4 });
    return (await node.ping({ host: address, port: Number(entry.slice(at + 1)) })) !== null;
  } catch {
    return false;
  }
}

/** Pings each bootstrap node, then joins through those that answered (the node is kept for the packet check). */
async function dhtCheck(bootstrap: string[], timeoutMs: number): Promise<{ result: CheckResult; node: DhtNode | null }> {
  let probe: DhtNode;
  try {
    probe = await DhtNode.start({ host: '0.0.0.0', port: 0, bootstrap: [], serverMode: false, requestTimeoutMs: timeoutMs });
  } catch (e) {
    return {
      result: {
        check: 'dht-bootstrap',
        status: 'fail',
        message: `cannot open a UDP socket for the DHT (${(e as Error).message})`,
        fix: 'the homeserver needs outgoing UDP',
      },
      node: null,
    };
  }
  const answers = await Promise.all(bootstrap.map((entry) => pingEntry(probe, entry)));
  await probe.close();
  const answered = bootstrap.filter((_, i) => answers[i]);
  const silent = bootstrap.filter((_, i) => !answers[i]);
  if (answered.length === 0) {
    return {
      result: {
        check: 'dht-bootstrap',
        status: 'fail',
        message: `none of the DHT bootstrap nodes answered (${bootstrap.join(', ')})`,
        fix: 'allow outgoing UDP, or set pkdns.dht_bootstrap_nodes to nodes you can reach',
      },
      node: null,
    };
  }
  const node = await DhtNode.start({ host: '0.0.0.0', port: 0, bootstrap: answered, serverMode: false, requestTimeoutMs: timeoutMs });
  const message = `${answered.length} of ${bootstrap.length} DHT bootstrap nodes answered${silent.length ? ` (silent: ${silent.join(', ')})` : ''}`;
  return { result: { check: 'dht-bootstrap', status: silent.length ? 'warn' : 'ok', message }, node };
}

/** What the packet says about where clients go, against what the config says it should. */
function packetMismatches(packet: SignedPacket, config: HomeserverConfig): string[] {
  const wrong: string[] = [];
  const https = endpointRecords(packet, '@');
  if (https.length === 0) return ['it has no HTTPS record, so no client can find the homeserver'];
  const domain = config.pkdns.icannDomain;
  const named = https.find((r) => r.target === domain);
  if (domain && !named) wrong.push(`no HTTPS record names ${domain} (targets: ${https.map((r) => r.target).join(', ')})`);
  if (named && domain === 'localhost') {
    const want = config.pkdns.publicIcannHttpPort ?? config.drive.icannListen.port;
    const port = pubkyHttpPort(named.params);
    if (want !== 0 && port !== want) wrong.push(`it sends clients to port ${port}, the config says ${want}`);
  }
  const addresses = packet
    .resourceRecords('@')
    .filter((r) => r.type === 'A' || r.type === 'AAAA')
    .map((r) => (r as { address: string }).address);
  if (!addresses.includes(config.pkdns.publicIp))
    wrong.push(`its addresses (${addresses.join(', ') || 'none'}) do not include pkdns.public_ip ${config.pkdns.publicIp}`);
  return wrong;
}

async function packetCheck(where: string, key: PublicKey, config: HomeserverConfig, pkarr: Pkarr): Promise<CheckResult> {
  const check = `pkarr-packet-${where === 'relays' ? 'relays' : 'dht'}`;
  if (where === 'relays' && config.pkdns.dhtRelayNodes.length === 0)
    return { check, status: 'info', message: 'no pkarr relays configured (pkdns.dht_relay_nodes)' };
  try {
    const packet = await pkarr.resolve(key, { policy: 'NetworkOnly' });
    if (!packet)
      return {
        check,
        status: 'fail',
        message: `the packet of ${key.z32} is not on ${where}`,
        fix: 'start the homeserver (it publishes at start and every hour); if it runs, check its log for "publish" warnings',
      };
    const ageMin = Math.round((Date.now() * 1000 - packet.timestamp) / 60e6);
    const wrong = packetMismatches(packet, config);
    if (wrong.length)
      return {
        check,
        status: 'fail',
        message: `the packet of ${key.z32} on ${where} is stale or wrong: ${wrong.join('; ')}`,
        fix: 'restart the homeserver after changing pkdns settings: it signs a new packet at start',
      };
    return {
      check,
      status: 'ok',
      message: `the packet of ${key.z32} is on ${where} (signed ${ageMin} min ago) and names what the config says`,
    };
  } catch (e) {
    return {
      check,
      status: 'fail',
      message: `looking up ${key.z32} on ${where} failed (${(e as Error).message})`,
      fix: where === 'relays' ? 'check pkdns.dht_relay_nodes and outgoing HTTPS' : 'check outgoing UDP',
    };
  } finally {
    await pkarr.close();
  }
}
