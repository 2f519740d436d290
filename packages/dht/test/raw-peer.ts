// A bare UDP socket that speaks KRPC by hand, to poke a node with exact bytes.
import { createSocket, type Socket } from 'node:dgram';
import { bencode, type BEncodable } from '../src/bencode.ts';
import { decodeMessage, type KrpcMessage, type NodeAddress } from '../src/krpc.ts';

export class RawPeer {
  private constructor(readonly socket: Socket) {}

  static async open(): Promise<RawPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new RawPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends bytes and resolves with the next decoded packet, or null after `ms`. */
  exchange(to: NodeAddress, packet: Uint8Array | { [k: string]: BEncodable | undefined }, ms = 300): Promise<KrpcMessage | null> {
    const bytes = packet instanceof Uint8Array ? packet : bencode(packet);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        resolve(null);
      }, ms);
      const onMessage = (buf: Buffer) => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(decodeMessage(new Uint8Array(buf)));
      };
      this.socket.on('message', onMessage);
      this.socket.send(bytes, to.port, to.host);
    });
  }

  /** Sends without waiting. */
  send(to: NodeAddress, bytes: Uint8Array): void {
    this.socket.send(bytes, to.port, to.host);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}
