// An in-memory PacketSource: for tests and for apps that want to run without any network.
import type { PublicKey } from '@pubky-ts/common';
import type { SignedPacket } from '@pubky-ts/pkarr';
import type { PacketSource } from './pkdns.ts';

export class MemoryPacketSource implements PacketSource {
  readonly packets = new Map<string, SignedPacket>();
  resolves = 0;
  publishes = 0;

  async resolve(key: PublicKey): Promise<SignedPacket | null> {
    this.resolves++;
    return this.packets.get(key.z32) ?? null;
  }

  async publish(packet: SignedPacket): Promise<void> {
    this.publishes++;
    const current = this.packets.get(packet.publicKey.z32);
    if (current && current.moreRecentThan(packet)) throw new Error('a more recent packet is already stored');
    this.packets.set(packet.publicKey.z32, packet);
  }
}
