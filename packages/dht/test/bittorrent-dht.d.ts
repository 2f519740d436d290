// The part of bittorrent-dht (npm, no bundled types) the interop test uses.
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events';
  interface DHTOptions {
    bootstrap?: string[] | false;
    host?: string;
    verify?: (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => boolean;
    timeout?: number;
  }
  interface GetResult {
    v: Uint8Array;
    k?: Uint8Array;
    sig?: Uint8Array;
    seq?: number;
  }
  export default class DHT extends EventEmitter {
    constructor(opts?: DHTOptions);
    nodeId: Buffer;
    _values: { get(key: string): unknown; length: number };
    listen(port: number, host: string, cb?: () => void): void;
    address(): { address: string; port: number };
    put(
      opts: { v: Uint8Array; k?: Uint8Array; seq?: number; sign?: (msg: Uint8Array) => Uint8Array; salt?: Uint8Array },
      cb: (err: Error | null, hash: Buffer, n: number) => void,
    ): Buffer;
    get(key: Uint8Array, opts: { verify?: DHTOptions['verify']; cache?: boolean }, cb: (err: Error | null, res: GetResult | null) => void): void;
    destroy(cb?: () => void): void;
  }
}
