import { PublicKey } from '@pubky-ts/common';
import { pubkyHttpPort } from './dns/svc-params.ts';
import type { SvcParams, SVCBRecord } from './dns/types.ts';
import type { SignedPacket } from './signed-packet.ts';

export const DEFAULT_MAX_RECURSION_DEPTH = 7;

/** One way to reach the service named by a qname, from an HTTPS or SVCB record (spec §3.1). */
export interface Endpoint {
  /** Key of the packet that holds the record (a `.` target's server key, for TLS). */
  publicKey: PublicKey;
  /** The owner name that was asked for at this hop. */
  qname: string;
  priority: number;
  /** `.` (the packet's own addresses) or an ICANN domain name. */
  target: string;
  /** The ICANN domain to connect to, or null for a `.` target (browsers can only use domains). */
  domain: string | null;
  /** SvcParam `port`; null when absent or 0. */
  port: number | null;
  /** For a `.` target: the A and AAAA records at the apex of the packet; otherwise empty. */
  addresses: string[];
  /** SvcParam 65280 (2 bytes big-endian): the plain-HTTP port the Pubky testnet advertises for `localhost`. */
  httpPort: number | null;
  params: SvcParams;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function isRoot(target: string): boolean {
  return target === '.' || target === '';
}

/**
 * The HTTPS (or SVCB) records of `packet` at `qname` (wildcards allowed), in the order a client
 * should try them: ascending priority, random order within one priority.
 */
export function endpointRecords(packet: SignedPacket, qname: string, svcb = false): SVCBRecord[] {
  const wanted = svcb ? 'SVCB' : 'HTTPS';
  const records = packet.resourceRecords(qname).filter((r): r is SVCBRecord => r.type === wanted);
  // Array.prototype.sort is stable, so the shuffle decides the order within a priority
  return shuffle(records).sort((a, b) => a.priority - b.priority);
}

function toEndpoint(packet: SignedPacket, qname: string, record: SVCBRecord): Endpoint {
  const root = isRoot(record.target);
  const addresses: string[] = [];
  if (root) {
    for (const r of packet.resourceRecords('@')) {
      if ((r.type === 'A' || r.type === 'AAAA') && !addresses.includes(r.address)) addresses.push(r.address);
    }
  }
  return {
    publicKey: packet.publicKey,
    qname,
    priority: record.priority,
    target: root ? '.' : record.target,
    domain: root ? null : record.target,
    port: record.params.port ? record.params.port : null,
    addresses,
    httpPort: pubkyHttpPort(record.params),
    params: record.params,
  };
}

export interface EndpointOptions {
  /** Follow SVCB instead of HTTPS records. */
  svcb?: boolean;
  /** Most packet resolutions for one walk (default 7). */
  maxRecursionDepth?: number;
}

/**
 * Walks HTTPS/SVCB records from `qname` (e.g. `<z32>` or `_pubky.<z32>`): a `.` target is an
 * endpoint at that packet, a target that is a pkarr key is resolved and followed (at most
 * `maxRecursionDepth` resolutions in all, so loops end), anything else is an ICANN domain
 * endpoint. A hop that fails or is over the limit is skipped and the next record is tried.
 */
export async function* resolveEndpoints(
  resolve: (key: PublicKey) => Promise<SignedPacket | null>,
  qname: string,
  options: EndpointOptions = {},
): AsyncGenerator<Endpoint> {
  const max = options.maxRecursionDepth ?? DEFAULT_MAX_RECURSION_DEPTH;
  let resolutions = 0;
  async function* walk(name: string): AsyncGenerator<Endpoint> {
    const key = PublicKey.tryParse(name);
    if (!key || resolutions >= max) return;
    resolutions++;
    let packet: SignedPacket | null;
    try {
      packet = await resolve(key);
    } catch {
      return;
    }
    if (!packet) return;
    for (const record of endpointRecords(packet, name, options.svcb)) {
      if (isRoot(record.target)) {
        yield toEndpoint(packet, name, record);
      } else if (PublicKey.tryParse(record.target)) {
        yield* walk(record.target);
      } else {
        yield toEndpoint(packet, name, record);
      }
    }
  }
  yield* walk(qname);
}
