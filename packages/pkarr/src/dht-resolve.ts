import { PubkyError, bytesEqual, type PublicKey } from '@pubky-ts/common';
import type { DhtBackend } from './dht-backend.ts';
import { PkarrError } from './errors.ts';
import { SignedPacket, signable } from './signed-packet.ts';

/**
 * Streams a key's packets out of the DHT (spec §4.6): each valid packet goes to `onPacket` as it
 * arrives. Items whose signature fails or that carry another key are dropped; items that are
 * signed but are not a valid packet (bad DNS) count as "invalid" by their seq. Resolves with the
 * completion error, if any: `invalid_signed_packet` when an invalid item is newer than every valid
 * packet, `not_found` when nothing arrived, `dht_error` when the lookup itself failed.
 */
export async function resolveFromDht(
  dht: DhtBackend,
  key: PublicKey,
  opts: { seq?: number; signal?: AbortSignal },
  onPacket: (packet: SignedPacket) => void,
): Promise<PkarrError | null> {
  let bestValid = -1;
  let highestInvalid: number | null = null;
  try {
    const iterable = dht.getMutable(key.bytes, opts.seq === undefined ? { signal: opts.signal } : { seq: opts.seq, signal: opts.signal });
    for await (const item of iterable) {
      if (opts.signal?.aborted) break;
      if (!item || !(item.key instanceof Uint8Array) || !bytesEqual(item.key, key.bytes)) continue;
      if (!Number.isSafeInteger(item.seq) || item.seq < 0) continue;
      if (!(item.value instanceof Uint8Array) || !(item.signature instanceof Uint8Array) || item.signature.length !== 64) continue;
      if (item.value.length > 1000 || !key.verify(signable(item.seq, item.value), item.signature)) continue;
      let packet: SignedPacket;
      try {
        packet = SignedPacket.fromParts(key, item.signature, item.seq, item.value, { verified: true });
      } catch {
        highestInvalid = highestInvalid === null ? item.seq : Math.max(highestInvalid, item.seq);
        continue;
      }
      bestValid = Math.max(bestValid, packet.timestamp);
      onPacket(packet);
    }
  } catch (e) {
    if (opts.signal?.aborted) return new PkarrError('aborted', 'the DHT lookup was aborted', { cause: e });
    if (e instanceof PubkyError) return new PkarrError('dht_error', `DHT lookup failed (${e.code}): ${e.message}`, { cause: e });
    return new PkarrError('dht_error', `DHT lookup failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (highestInvalid !== null && highestInvalid > bestValid) {
    return new PkarrError(
      'invalid_signed_packet',
      `the newest DHT item of ${key.z32} (seq ${highestInvalid}) is not a valid signed packet`,
      { seq: highestInvalid },
    );
  }
  if (bestValid < 0) return new PkarrError('not_found', `no DHT node holds a packet for ${key.z32}`);
  return null;
}
