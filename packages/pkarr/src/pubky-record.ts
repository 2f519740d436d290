import { Keypair, PublicKey, nowMicros } from '@pubky-ts/common';
import type { DnsRecord } from './dns/types.ts';
import { PkarrError } from './errors.ts';
import { SignedPacket } from './signed-packet.ts';

/** TTL the SDK gives the `_pubky` record. */
export const PUBKY_RECORD_TTL = 3600;

/**
 * The homeserver a user's packet points to: the target of the first HTTPS or SVCB record at
 * `_pubky.<user>`, read as a key (spec §3.3). Null when there is none or it is not a key.
 */
export function homeserverOf(packet: SignedPacket): PublicKey | null {
  for (const r of packet.resourceRecords('_pubky')) {
    if (r.type === 'HTTPS' || r.type === 'SVCB') return PublicKey.tryParse(r.target);
  }
  return null;
}

/**
 * A new packet for `keypair` that keeps every record of `previous` whose name does not start
 * with `_pubky` and adds `_pubky HTTPS 0 <homeserver z32>` (AliasMode, no params). Its timestamp
 * is now, and always after `previous`'s, so it supersedes it.
 */
export function withHomeserver(
  keypair: Keypair,
  homeserver: PublicKey,
  previous: SignedPacket | null,
  options: { ttl?: number; timestamp?: number } = {},
): SignedPacket {
  if (previous && !previous.publicKey.equals(keypair.publicKey)) {
    throw new PkarrError('key_mismatch', `the previous packet belongs to ${previous.publicKey.z32}, not to ${keypair.publicKey.z32}`);
  }
  const kept: DnsRecord[] = previous ? previous.records.filter((r) => !r.name.startsWith('_pubky')) : [];
  const record: DnsRecord = { name: '_pubky', ttl: options.ttl ?? PUBKY_RECORD_TTL, type: 'HTTPS', priority: 0, target: homeserver.z32, params: {} };
  let timestamp = options.timestamp ?? nowMicros();
  if (options.timestamp === undefined && previous && timestamp <= previous.timestamp) timestamp = previous.timestamp + 1;
  return SignedPacket.sign(keypair, [...kept, record], { timestamp });
}
