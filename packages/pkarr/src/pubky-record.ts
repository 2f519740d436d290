import { type Keypair, PublicKey, nowMicros } from '@pubky-ts/common';
import type { DnsRecord, SVCBRecord } from './dns/types.ts';
import { PkarrError } from './errors.ts';
import { SignedPacket } from './signed-packet.ts';

/** TTL the SDK gives the `_pubky` record. */
export const PUBKY_RECORD_TTL = 3600;

/**
 * The homeserver a user's packet points to: the target of the first HTTPS or SVCB record at
 * `_pubky.<user>`, read as a key (spec §3.3). Null when there is none or it is not a key.
 */
export function homeserverOf(packet: SignedPacket): PublicKey | null {
  const first = pubkyServiceRecords(packet)[0];
  return first ? PublicKey.tryParse(first.target) : null;
}

function isService(r: DnsRecord): r is SVCBRecord {
  return r.type === 'HTTPS' || r.type === 'SVCB';
}

/** The HTTPS/SVCB records at `_pubky.<user>`, in packet order. */
function pubkyServiceRecords(packet: SignedPacket): SVCBRecord[] {
  return packet.resourceRecords('_pubky').filter(isService);
}

/**
 * The user's mirror homeservers (the mirror contract): the `_pubky` HTTPS/SVCB records after the
 * first one (the primary) whose priority is 1 or more and whose target is a key, by ascending
 * priority (packet order among equals). The primary itself and repeated keys are left out.
 */
export function mirrorsOf(packet: SignedPacket): PublicKey[] {
  const [first, ...rest] = pubkyServiceRecords(packet);
  if (!first) return [];
  const primary = PublicKey.tryParse(first.target);
  const seen = new Set<string>(primary ? [primary.z32] : []);
  const out: PublicKey[] = [];
  const ordered = rest.map((r, i) => ({ r, i })).filter(({ r }) => r.priority >= 1);
  ordered.sort((a, b) => a.r.priority - b.r.priority || a.i - b.i);
  for (const { r } of ordered) {
    const key = PublicKey.tryParse(r.target);
    if (!key || seen.has(key.z32)) continue;
    seen.add(key.z32);
    out.push(key);
  }
  return out;
}

export interface PubkyRecordOptions {
  ttl?: number;
  timestamp?: number;
}

function checkOwner(keypair: Keypair, previous: SignedPacket | null): void {
  if (previous && !previous.publicKey.equals(keypair.publicKey)) {
    throw new PkarrError('key_mismatch', `the previous packet belongs to ${previous.publicKey.z32}, not to ${keypair.publicKey.z32}`);
  }
}

/** Signs `records` with a timestamp after `previous`'s (so the new packet supersedes it). */
function signAfter(keypair: Keypair, records: DnsRecord[], previous: SignedPacket | null, options: PubkyRecordOptions): SignedPacket {
  let timestamp = options.timestamp ?? nowMicros();
  if (options.timestamp === undefined && previous && timestamp <= previous.timestamp) timestamp = previous.timestamp + 1;
  return SignedPacket.sign(keypair, records, { timestamp });
}

/** `_pubky HTTPS <1..n> <mirror z32>` records (ServiceMode, no params), in the given order. */
function mirrorRecords(mirrors: PublicKey[], ttl: number): DnsRecord[] {
  return mirrors.map((m, i) => ({ name: '_pubky', ttl, type: 'HTTPS', priority: i + 1, target: m.z32, params: {} }) as DnsRecord);
}

/**
 * A new packet for `keypair` that keeps every record of `previous` whose name does not start
 * with `_pubky`, adds `_pubky HTTPS 0 <homeserver z32>` (AliasMode, no params) first, and keeps
 * the mirror records of `previous` (renumbered 1..n) except one pointing at `homeserver` itself.
 * Its timestamp is now, and always after `previous`'s, so it supersedes it.
 */
export function withHomeserver(
  keypair: Keypair,
  homeserver: PublicKey,
  previous: SignedPacket | null,
  options: PubkyRecordOptions = {},
): SignedPacket {
  checkOwner(keypair, previous);
  const ttl = options.ttl ?? PUBKY_RECORD_TTL;
  const kept: DnsRecord[] = previous ? previous.records.filter((r) => !r.name.startsWith('_pubky')) : [];
  const mirrors = previous ? mirrorsOf(previous).filter((m) => !m.equals(homeserver)) : [];
  const record: DnsRecord = { name: '_pubky', ttl, type: 'HTTPS', priority: 0, target: homeserver.z32, params: {} };
  return signAfter(keypair, [...kept, record, ...mirrorRecords(mirrors, ttl)], previous, options);
}

/**
 * A new packet for `keypair` that keeps the primary `_pubky` record of `previous` and every record
 * whose name does not start with `_pubky`, and replaces the mirror records with `mirrors`
 * (priority 1, 2, … in this order; repeats dropped). An empty list removes every mirror. Throws
 * `dns_invalid_record` when `previous` names no primary homeserver or a mirror is the primary.
 */
export function withMirrors(
  keypair: Keypair,
  mirrors: PublicKey[],
  previous: SignedPacket | null,
  options: PubkyRecordOptions = {},
): SignedPacket {
  checkOwner(keypair, previous);
  const first = previous ? pubkyServiceRecords(previous)[0] : undefined;
  const primary = first ? PublicKey.tryParse(first.target) : null;
  if (!previous || !first || !primary) {
    throw new PkarrError(
      'dns_invalid_record',
      `the packet of ${keypair.publicKey.z32} names no primary homeserver in _pubky; mirrors need one`,
    );
  }
  const unique: PublicKey[] = [];
  for (const m of mirrors) {
    if (m.equals(primary)) throw new PkarrError('dns_invalid_record', `${m.z32} is the primary homeserver; it cannot also be a mirror`);
    if (!unique.some((u) => u.equals(m))) unique.push(m);
  }
  const ttl = options.ttl ?? PUBKY_RECORD_TTL;
  const kept = previous.records.filter((r) => !r.name.startsWith('_pubky'));
  const primaryRecord: DnsRecord = { ...first, name: '_pubky' };
  return signAfter(keypair, [...kept, primaryRecord, ...mirrorRecords(unique, ttl)], previous, options);
}
