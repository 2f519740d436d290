// What a server-mode node keeps for others: BEP44 items (LRU, reference rules) and announced peers.
import { randomBytes } from 'node:crypto';
import { MAX_SALT_BYTES, MAX_VALUE_BYTES, immutableTarget, mutableTarget, verifyMutable } from './bep44.ts';
import { crc32c } from './crc32c.ts';
import type { NodeAddress, PutQuery } from './krpc.ts';

export interface StoredMutable {
  k: Uint8Array;
  seq: number;
  v: Uint8Array;
  sig: Uint8Array;
  salt?: Uint8Array;
}

/** KRPC error codes of BEP44 (and the generic 203). */
export const KRPC_ERRORS = {
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
  valueTooBig: 205,
  badSignature: 206,
  saltTooBig: 207,
  casMismatch: 301,
  seqLessThanCurrent: 302,
} as const;

export type PutOutcome = { ok: true; target: Uint8Array } | { ok: false; code: number; message: string };

class Lru<V> {
  readonly #map = new Map<string, V>();
  constructor(readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  peek(key: string): V | undefined {
    return this.#map.get(key);
  }
  set(key: string, v: V): void {
    this.#map.delete(key);
    this.#map.set(key, v);
    while (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as string);
  }
  get size(): number {
    return this.#map.size;
  }
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export interface StoreLimits {
  maxMutable?: number;
  maxImmutable?: number;
  maxInfoHashes?: number;
  maxPeersPerInfoHash?: number;
}

export class ItemStore {
  readonly mutable: Lru<StoredMutable>;
  readonly immutable: Lru<Uint8Array>;
  readonly peers: Lru<Map<string, NodeAddress>>;
  readonly #maxPeers: number;

  constructor(limits: StoreLimits = {}) {
    this.mutable = new Lru(limits.maxMutable ?? 1000);
    this.immutable = new Lru(limits.maxImmutable ?? 1000);
    this.peers = new Lru(limits.maxInfoHashes ?? 2000);
    this.#maxPeers = limits.maxPeersPerInfoHash ?? 500;
  }

  getMutable(target: Uint8Array): StoredMutable | undefined {
    return this.mutable.get(hex(target));
  }
  getImmutable(target: Uint8Array): Uint8Array | undefined {
    return this.immutable.get(hex(target));
  }

  /**
   * Applies a put whose token was already checked, in the reference order: 205 size, 207 salt,
   * then for an existing item 301 CAS and 302 lower seq (equal seq overwrites), then 206 signature.
   */
  put(p: PutQuery): PutOutcome {
    if (p.v.length > MAX_VALUE_BYTES) {
      return { ok: false, code: KRPC_ERRORS.valueTooBig, message: `v is ${p.v.length} bytes, at most ${MAX_VALUE_BYTES} allowed` };
    }
    if (!p.k) {
      const target = immutableTarget(p.v);
      if (p.target && !eq(p.target, target)) {
        return { ok: false, code: KRPC_ERRORS.protocol, message: 'target is not sha1 of the bencoded v' };
      }
      this.immutable.set(hex(target), p.v);
      return { ok: true, target };
    }
    if (p.salt && p.salt.length > MAX_SALT_BYTES) {
      return { ok: false, code: KRPC_ERRORS.saltTooBig, message: `salt is ${p.salt.length} bytes, at most ${MAX_SALT_BYTES} allowed` };
    }
    const target = mutableTarget(p.k, p.salt);
    // Rust does not check this; a put under a foreign target would be stored where nobody looks.
    if (p.target && !eq(p.target, target)) {
      return { ok: false, code: KRPC_ERRORS.protocol, message: 'target is not sha1(k ‖ salt)' };
    }
    const key = hex(target);
    const seq = p.seq!;
    const prev = this.mutable.peek(key);
    if (prev) {
      if (p.cas !== undefined && p.cas !== prev.seq) {
        return { ok: false, code: KRPC_ERRORS.casMismatch, message: `CAS mismatch: stored seq is ${prev.seq}` };
      }
      if (seq < prev.seq) {
        return { ok: false, code: KRPC_ERRORS.seqLessThanCurrent, message: 'sequence number less than current' };
      }
    }
    if (!verifyMutable(p.k, seq, p.v, p.sig!, p.salt)) {
      return { ok: false, code: KRPC_ERRORS.badSignature, message: 'invalid signature' };
    }
    const item: StoredMutable = { k: p.k, seq, v: p.v, sig: p.sig! };
    if (p.salt) item.salt = p.salt;
    this.mutable.set(key, item);
    return { ok: true, target };
  }

  addPeer(infoHash: Uint8Array, peer: NodeAddress): void {
    const key = hex(infoHash);
    let set = this.peers.get(key);
    if (!set) {
      set = new Map();
      this.peers.set(key, set);
    }
    const id = `${peer.host}:${peer.port}`;
    set.delete(id);
    set.set(id, peer);
    while (set.size > this.#maxPeers) set.delete(set.keys().next().value as string);
  }

  /** Up to `max` of the most recently announced peers. */
  getPeers(infoHash: Uint8Array, max = 100): NodeAddress[] {
    const set = this.peers.get(hex(infoHash));
    if (!set) return [];
    return [...set.values()].slice(-max);
  }
}

/** Write tokens: crc32c(ipv4 ‖ secret) as 4 bytes; the secret rotates, the previous one still counts. */
export class TokenIssuer {
  #current = new Uint8Array(randomBytes(20));
  #previous = new Uint8Array(randomBytes(20));
  #rotatedAt: number;

  constructor(
    readonly rotateMs = 5 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.#rotatedAt = now();
  }

  #maybeRotate(): void {
    const now = this.now();
    if (now - this.#rotatedAt < this.rotateMs) return;
    // Tokens handed out under the current secret stay good for one more period.
    this.#previous = this.#current;
    this.#current = new Uint8Array(randomBytes(20));
    this.#rotatedAt = now;
  }

  issue(host: string): Uint8Array {
    this.#maybeRotate();
    return tokenFor(host, this.#current);
  }

  validate(host: string, token: Uint8Array): boolean {
    this.#maybeRotate();
    return eq(token, tokenFor(host, this.#current)) || eq(token, tokenFor(host, this.#previous));
  }

  /** For tests: force a rotation now. */
  rotate(): void {
    this.#previous = this.#current;
    this.#current = new Uint8Array(randomBytes(20));
    this.#rotatedAt = this.now();
  }
}

function tokenFor(host: string, secret: Uint8Array): Uint8Array {
  const ip = host.split('.').map((x) => Number(x) & 0xff);
  const buf = new Uint8Array(4 + secret.length);
  buf.set(ip.length === 4 ? ip : [0, 0, 0, 0], 0);
  buf.set(secret, 4);
  const c = crc32c(buf);
  return new Uint8Array([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff]);
}
