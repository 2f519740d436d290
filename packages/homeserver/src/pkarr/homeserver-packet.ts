import type { Keypair } from '@pubky-ts/common';
import { SignedPacket, type DnsRecord } from '@pubky-ts/pkarr';

/** SvcParam key under which a `localhost` ICANN record carries the plain-HTTP port (testnets). */
export const HTTP_PORT_PARAM = 65280;
const TTL = 3600;

export interface HomeserverAddress {
  publicIp: string;
  /** Port of the Pubky TLS socket as the world sees it; null when nothing serves Pubky TLS (no record). */
  pubkyTlsPort: number | null;
  /** ICANN domain browsers use (`localhost` in testnets); null for none. */
  icannDomain: string | null;
  /** Plain-HTTP port published with a `localhost` domain (SvcParam 65280). */
  icannHttpPort: number;
}

/**
 * The homeserver's own records (spec homeserver §6.1): `HTTPS 1 .` with the TLS port and an IP hint
 * (left out when nothing serves Pubky TLS),
 * `HTTPS 10 <domain>` (with the 65280 port param when the domain is `localhost`), and `A`/`AAAA`.
 */
export function homeserverRecords(address: HomeserverAddress): DnsRecord[] {
  const v6 = address.publicIp.includes(':');
  const records: DnsRecord[] = [];
  if (address.pubkyTlsPort !== null) {
    records.push({
      name: '.',
      ttl: TTL,
      type: 'HTTPS',
      priority: 1,
      target: '.',
      params: v6
        ? { port: address.pubkyTlsPort, ipv6hint: [address.publicIp] }
        : { port: address.pubkyTlsPort, ipv4hint: [address.publicIp] },
    });
  }
  if (address.icannDomain) {
    const port = new Uint8Array(2);
    new DataView(port.buffer).setUint16(0, address.icannHttpPort);
    records.push({
      name: '.',
      ttl: TTL,
      type: 'HTTPS',
      priority: 10,
      target: address.icannDomain,
      params: address.icannDomain === 'localhost' ? { other: [{ key: HTTP_PORT_PARAM, value: port }] } : {},
    });
  }
  records.push(
    v6 ? { name: '.', ttl: TTL, type: 'AAAA', address: address.publicIp } : { name: '.', ttl: TTL, type: 'A', address: address.publicIp },
  );
  return records;
}

export function signHomeserverPacket(keypair: Keypair, address: HomeserverAddress): SignedPacket {
  return SignedPacket.sign(keypair, homeserverRecords(address));
}
