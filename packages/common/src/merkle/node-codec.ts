import { bytesEqual, compareBytes } from '../bytes.ts';
import { MerkleError } from './errors.ts';
import { keyLayer, MAX_KEY_BYTES } from './layer.ts';

/** What a leaf binds its key to: what every copy of the file shares (not its local mtime). */
export interface LeafValue {
  /** BLAKE3-256 of the content (the ETag's hash), 32 bytes. */
  readonly hash: Uint8Array;
  /** Content length in bytes. */
  readonly length: number;
}

export interface NodeEntry {
  readonly key: Uint8Array;
  readonly value: LeafValue;
}

/** A node as it travels: its entries and, around them, the hashes of its child subtrees. */
export interface DecodedNode {
  readonly layer: number;
  readonly entries: readonly NodeEntry[];
  /** `entries.length + 1` slots: children[i] holds the keys between entries[i-1] and entries[i]. */
  readonly children: readonly (Uint8Array | null)[];
}

/** First byte of every node encoding (README "Node encoding"). */
export const NODE_FORMAT = 0x01;
export const HASH_BYTES = 32;
/** No key's layer can exceed 128 (256 leading zero bits / 2). */
const MAX_LAYER = 128;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Writes unsigned LEB128 at `at`; returns the offset after it. */
function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

function writeChild(out: Uint8Array, at: number, c: Uint8Array | null): number {
  if (c === null) {
    out[at] = 0;
    return at + 1;
  }
  out[at] = 1;
  out.set(c, at + 1);
  return at + 1 + HASH_BYTES;
}

function sharedPrefix(a: Uint8Array, b: Uint8Array): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a[i] === b[i]) i++;
  return i;
}

/**
 * The canonical bytes of a node (README "Node encoding"). `childHash(i)` gives the hash of child
 * slot i, or null for an empty slot. Sized first and written in place: this runs for every node a
 * write changes, on the homeserver's PUT path.
 */
export function encodeNodeParts(
  layer: number,
  keys: readonly Uint8Array[],
  values: readonly LeafValue[],
  childHash: (i: number) => Uint8Array | null,
): Uint8Array {
  const m = keys.length;
  const children: (Uint8Array | null)[] = new Array(m + 1);
  const shared: number[] = new Array(m);
  let size = 1 + varintSize(layer) + varintSize(m);
  for (let i = 0; i <= m; i++) {
    const c = childHash(i);
    children[i] = c;
    size += c === null ? 1 : 1 + HASH_BYTES;
  }
  for (let i = 0; i < m; i++) {
    const key = keys[i]!;
    const s = i === 0 ? 0 : sharedPrefix(keys[i - 1]!, key);
    shared[i] = s;
    size += varintSize(s) + varintSize(key.length - s) + key.length - s + HASH_BYTES + varintSize(values[i]!.length);
  }
  const out = new Uint8Array(size);
  out[0] = NODE_FORMAT;
  let at = writeVarint(out, 1, layer);
  at = writeVarint(out, at, m);
  at = writeChild(out, at, children[0]!);
  for (let i = 0; i < m; i++) {
    const key = keys[i]!;
    const s = shared[i]!;
    at = writeVarint(out, at, s);
    at = writeVarint(out, at, key.length - s);
    out.set(s === 0 ? key : key.subarray(s), at);
    at += key.length - s;
    const v = values[i]!;
    out.set(v.hash, at);
    at += HASH_BYTES;
    at = writeVarint(out, at, v.length);
    at = writeChild(out, at, children[i + 1]!);
  }
  return out;
}

export function encodeNode(node: DecodedNode): Uint8Array {
  return encodeNodeParts(
    node.layer,
    node.entries.map((e) => e.key),
    node.entries.map((e) => e.value),
    (i) => node.children[i]!,
  );
}

const malformed = (what: string) => new MerkleError('merkle_node_malformed', `Malformed tree node: ${what}`);
const noncanonical = (what: string) => new MerkleError('merkle_node_noncanonical', `Tree node is not canonical: ${what}`);

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.offset >= this.bytes.length) throw malformed('truncated');
    return this.bytes[this.offset++]!;
  }
  take(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw malformed('truncated');
    const b = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
  /** Minimal LEB128 only (one encoding per number keeps node hashes unique), up to 2^53 - 1. */
  varint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.byte();
      if (i > 0 && b === 0) throw noncanonical('varint with a trailing zero byte');
      n += (b & 0x7f) * scale;
      if (!Number.isSafeInteger(n)) throw malformed('varint above 2^53');
      if ((b & 0x80) === 0) return n;
      scale *= 0x80;
    }
  }
  child(): Uint8Array | null {
    const tag = this.byte();
    if (tag === 0) return null;
    if (tag === 1) return this.take(HASH_BYTES);
    throw malformed(`child tag ${tag} (expected 0 or 1)`);
  }
}

/**
 * Decodes and checks a node's own rules: format byte, minimal varints, keys strictly ascending and
 * each of exactly the node's layer, a layer-0 node without children, no trailing bytes. Whether
 * its keys lie in the range its parent gives it is the caller's check (`checkNodeRange`).
 */
export function decodeNode(bytes: Uint8Array): DecodedNode {
  const r = new Reader(bytes);
  const format = r.byte();
  if (format !== NODE_FORMAT) throw malformed(`format byte ${format} (expected ${NODE_FORMAT})`);
  const layer = r.varint();
  if (layer > MAX_LAYER) throw malformed(`layer ${layer} above ${MAX_LAYER}`);
  const count = r.varint();
  // Every entry takes at least 36 bytes: a count above what the bytes can hold is garbage.
  if (count > bytes.length / 36) throw malformed(`entry count ${count} larger than the node`);
  const children: (Uint8Array | null)[] = [r.child()];
  const entries: NodeEntry[] = [];
  let prev: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    const shared = r.varint();
    const rest = r.varint();
    if (shared > (prev ? prev.length : 0)) throw malformed('shared prefix longer than the previous key');
    if (prev && shared < prev.length && rest > 0 && bytes[r.offset] === prev[shared]) {
      throw noncanonical('shared prefix not maximal');
    }
    if (shared + rest > MAX_KEY_BYTES) throw malformed(`key longer than ${MAX_KEY_BYTES} bytes`);
    const key = new Uint8Array(shared + rest);
    if (prev) key.set(prev.subarray(0, shared));
    key.set(r.take(rest), shared);
    if (key.length === 0) throw malformed('empty key');
    if (prev && compareBytes(prev, key) >= 0) throw noncanonical('keys not strictly ascending');
    if (keyLayer(key) !== layer) throw noncanonical(`a key of layer ${keyLayer(key)} in a node of layer ${layer}`);
    const hash = r.take(HASH_BYTES);
    const length = r.varint();
    entries.push({ key, value: { hash, length } });
    children.push(r.child());
    prev = key;
  }
  if (r.offset !== bytes.length) throw malformed(`${bytes.length - r.offset} trailing bytes`);
  if (layer === 0 && children.some((c) => c !== null)) throw noncanonical('a layer-0 node with a child');
  return { layer, entries, children };
}

/**
 * Checks a node fetched for child slot of a parent: non-empty, below the parent's layer, its keys
 * strictly between `lo` and `hi` (null = unbounded).
 */
export function checkNodeRange(node: DecodedNode, parentLayer: number, lo: Uint8Array | null, hi: Uint8Array | null): void {
  if (node.entries.length === 0) throw noncanonical('an empty node below the root');
  if (node.layer >= parentLayer) throw noncanonical(`a child of layer ${node.layer} under layer ${parentLayer}`);
  const first = node.entries[0]!.key;
  const last = node.entries[node.entries.length - 1]!.key;
  if (lo && compareBytes(first, lo) <= 0) throw noncanonical('a key outside the range its parent gives');
  if (hi && compareBytes(last, hi) >= 0) throw noncanonical('a key outside the range its parent gives');
}

export function leafValuesEqual(a: LeafValue, b: LeafValue): boolean {
  return a.length === b.length && bytesEqual(a.hash, b.hash);
}
