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

/** Appends unsigned LEB128 to `out`. */
function pushVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

function pushBytes(out: number[], b: Uint8Array): void {
  for (let i = 0; i < b.length; i++) out.push(b[i]!);
}

function pushChild(out: number[], child: Uint8Array | null): void {
  if (child === null) out.push(0);
  else {
    out.push(1);
    pushBytes(out, child);
  }
}

/**
 * The canonical bytes of a node (README "Node encoding"). `childHash(i)` gives the hash of child
 * slot i, or null for an empty slot.
 */
export function encodeNodeParts(
  layer: number,
  keys: readonly Uint8Array[],
  values: readonly LeafValue[],
  childHash: (i: number) => Uint8Array | null,
): Uint8Array {
  const out: number[] = [NODE_FORMAT];
  pushVarint(out, layer);
  pushVarint(out, keys.length);
  pushChild(out, childHash(0));
  let prev: Uint8Array | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    let shared = 0;
    if (prev) {
      const max = Math.min(prev.length, key.length);
      while (shared < max && prev[shared] === key[shared]) shared++;
    }
    pushVarint(out, shared);
    pushVarint(out, key.length - shared);
    for (let j = shared; j < key.length; j++) out.push(key[j]!);
    const v = values[i]!;
    pushBytes(out, v.hash);
    pushVarint(out, v.length);
    pushChild(out, childHash(i + 1));
    prev = key;
  }
  return Uint8Array.from(out);
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
