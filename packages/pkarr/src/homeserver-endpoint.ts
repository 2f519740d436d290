// Where to reach a homeserver over HTTP, from its own packet's HTTPS records (homeserver spec §6,
// §11). Both the SDK and a mirror homeserver following its primary choose the endpoint this way.
import { PublicKey } from '@pubky-ts/common';
import { pubkyHttpPort } from './dns/svc-params.ts';
import type { DnsRecord, SVCBRecord } from './dns/types.ts';
import type { SignedPacket } from './signed-packet.ts';

/** An HTTP endpoint of a homeserver: the origin requests go to. */
export interface HomeserverEndpoint {
  /** e.g. `https://homeserver.example` or `http://localhost:6286` */
  origin: string;
  /** The record it came from. */
  priority: number;
  domain: string;
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function isSvcb(r: DnsRecord): r is SVCBRecord {
  return r.type === 'HTTPS' || r.type === 'SVCB';
}

/**
 * Chooses the HTTP endpoint from a homeserver's packet: the ICANN-domain HTTPS records at the apex,
 * lowest priority first (the homeserver publishes its domain at priority 10). `localhost` and the
 * `httpHosts` need the port in SvcParam 65280 and are reached over plain HTTP; other domains over
 * HTTPS on the `port` param or 443. Targets that are `.` or a pkarr key need Pubky TLS, which
 * neither browsers nor Node's TLS can do, so they are skipped.
 */
export function selectHomeserverEndpoint(packet: SignedPacket, httpHosts: ReadonlySet<string> = new Set()): HomeserverEndpoint | null {
  const records = packet
    .resourceRecords('.')
    .filter(isSvcb)
    .filter((r) => r.priority > 0)
    .sort((a, b) => a.priority - b.priority);
  for (const r of records) {
    const domain = stripDot(r.target).toLowerCase();
    if (domain === '' || PublicKey.tryParse(domain) !== null) continue;
    if (!/^[a-z0-9.-]+$/.test(domain) || domain.length > 253) continue;
    if (domain === 'localhost' || httpHosts.has(domain)) {
      const port = pubkyHttpPort(r.params);
      if (port === null || port === 0) continue;
      return { origin: `http://${domain}:${port}`, priority: r.priority, domain };
    }
    const port = r.params.port;
    const origin = port && port !== 443 ? `https://${domain}:${port}` : `https://${domain}`;
    return { origin, priority: r.priority, domain };
  }
  return null;
}
