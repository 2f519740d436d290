import { sha256 } from '#sha256';
import { bytesToHex, compareBytes } from '../bytes.ts';
import { encodeNodeParts, type DecodedNode, type LeafValue, type NodeEntry } from './node-codec.ts';
import { keyLayer } from './layer.ts';

/**
 * One node of an in-memory Merkle Search Tree. Immutable: a write copies the nodes on its path
 * (O(log n)) and shares the rest, so an older root stays valid (a transaction that rolls back just
 * keeps the old root). The hash is computed on first use and kept, so a batch of writes hashes each
 * changed node once.
 */
export class MstNode {
  private cachedHash: Uint8Array | null = null;
  constructor(
    readonly layer: number,
    readonly keys: readonly Uint8Array[],
    readonly values: readonly LeafValue[],
    /** keys.length + 1 slots. */
    readonly children: readonly (MstNode | null)[],
  ) {}

  get hash(): Uint8Array {
    if (this.cachedHash === null) this.cachedHash = sha256(this.encode());
    return this.cachedHash;
  }

  encode(): Uint8Array {
    return encodeNodeParts(this.layer, this.keys, this.values, (i) => this.children[i]?.hash ?? null);
  }

  toDecoded(): DecodedNode {
    return {
      layer: this.layer,
      entries: this.keys.map((key, i) => ({ key, value: this.values[i]! })),
      children: this.children.map((c) => c?.hash ?? null),
    };
  }
}

/** The root of the empty tree: the hash of a layer-0 node with no entries and no child. */
export const EMPTY_ROOT: Uint8Array = sha256(encodeNodeParts(0, [], [], () => null));

/** Index of the first key >= `key` (binary search). */
function lowerBound(keys: readonly Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareBytes(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function with_<T>(arr: readonly T[], i: number, v: T): T[] {
  const out = arr.slice();
  out[i] = v;
  return out;
}

/** A node with entries, or its only child when it has none (nodes below the root are never empty). */
function node(layer: number, keys: Uint8Array[], values: LeafValue[], children: (MstNode | null)[]): MstNode | null {
  return keys.length === 0 ? children[0]! : new MstNode(layer, keys, values, children);
}

export function mstGet(root: MstNode | null, key: Uint8Array): LeafValue | null {
  let n = root;
  while (n) {
    const i = lowerBound(n.keys, key);
    if (i < n.keys.length && compareBytes(n.keys[i]!, key) === 0) return n.values[i]!;
    n = n.children[i]!;
  }
  return null;
}

/** The keys below `key` and the keys above it (`key` itself must not be in the tree). */
function split(n: MstNode | null, key: Uint8Array): [MstNode | null, MstNode | null] {
  if (!n) return [null, null];
  const i = lowerBound(n.keys, key);
  const [l, r] = split(n.children[i]!, key);
  const left = node(n.layer, n.keys.slice(0, i), n.values.slice(0, i), [...n.children.slice(0, i), l]);
  const right = node(n.layer, n.keys.slice(i), n.values.slice(i), [r, ...n.children.slice(i + 1)]);
  return [left, right];
}

/** The union of two trees whose keys are all below (`a`) and all above (`b`) one another. */
function merge(a: MstNode | null, b: MstNode | null): MstNode | null {
  if (!a) return b;
  if (!b) return a;
  if (a.layer > b.layer) {
    const last = a.keys.length;
    return new MstNode(a.layer, a.keys.slice(), a.values.slice(), with_(a.children, last, merge(a.children[last]!, b)));
  }
  if (b.layer > a.layer) {
    return new MstNode(b.layer, b.keys.slice(), b.values.slice(), with_(b.children, 0, merge(a, b.children[0]!)));
  }
  const last = a.keys.length;
  return new MstNode(
    a.layer,
    [...a.keys, ...b.keys],
    [...a.values, ...b.values],
    [...a.children.slice(0, last), merge(a.children[last]!, b.children[0]!), ...b.children.slice(1)],
  );
}

function insert(n: MstNode | null, key: Uint8Array, layer: number, value: LeafValue): MstNode {
  if (!n || layer > n.layer) {
    const [l, r] = split(n, key);
    return new MstNode(layer, [key], [value], [l, r]);
  }
  const i = lowerBound(n.keys, key);
  if (i < n.keys.length && compareBytes(n.keys[i]!, key) === 0) {
    return new MstNode(n.layer, n.keys, with_(n.values, i, value), n.children);
  }
  if (layer === n.layer) {
    const [l, r] = split(n.children[i]!, key);
    const keys = n.keys.slice();
    keys.splice(i, 0, key);
    const values = n.values.slice();
    values.splice(i, 0, value);
    const children = n.children.slice();
    children.splice(i, 1, l, r);
    return new MstNode(n.layer, keys, values, children);
  }
  return new MstNode(n.layer, n.keys, n.values, with_(n.children, i, insert(n.children[i]!, key, layer, value)));
}

/** Sets `key` to `value` (inserting or replacing). `layer` may be given when already known. */
export function mstPut(root: MstNode | null, key: Uint8Array, value: LeafValue, layer = keyLayer(key)): MstNode {
  return insert(root, key, layer, value);
}

/** Removes `key`; the same root (by identity) when it was absent. */
export function mstDelete(root: MstNode | null, key: Uint8Array): MstNode | null {
  if (!root) return null;
  const i = lowerBound(root.keys, key);
  if (i < root.keys.length && compareBytes(root.keys[i]!, key) === 0) {
    const keys = root.keys.slice();
    keys.splice(i, 1);
    const values = root.values.slice();
    values.splice(i, 1);
    const children = root.children.slice();
    children.splice(i, 2, merge(root.children[i]!, root.children[i + 1]!));
    return node(root.layer, keys, values, children);
  }
  const child = root.children[i]!;
  const next = mstDelete(child, key);
  if (next === child) return root;
  return new MstNode(root.layer, root.keys, root.values, with_(root.children, i, next));
}

/**
 * The tree of `entries` built from scratch (they must be sorted by key, without duplicates): the
 * reference the incremental tree is tested against, and how a server loads a user's tree.
 */
export function mstBuild(entries: readonly NodeEntry[]): MstNode | null {
  const layers = entries.map((e) => keyLayer(e.key));
  const build = (from: number, to: number): MstNode | null => {
    if (from >= to) return null;
    let top = 0;
    for (let i = from; i < to; i++) if (layers[i]! > top) top = layers[i]!;
    const keys: Uint8Array[] = [];
    const values: LeafValue[] = [];
    const children: (MstNode | null)[] = [];
    let start = from;
    for (let i = from; i < to; i++) {
      if (layers[i] !== top) continue;
      children.push(build(start, i));
      keys.push(entries[i]!.key);
      values.push(entries[i]!.value);
      start = i + 1;
    }
    children.push(build(start, to));
    return new MstNode(top, keys, values, children);
  };
  return build(0, entries.length);
}

export function mstRoot(root: MstNode | null): Uint8Array {
  return root ? root.hash : EMPTY_ROOT;
}

/** Every entry in key order. */
export function* mstEntries(root: MstNode | null): Generator<NodeEntry> {
  if (!root) return;
  for (let i = 0; i < root.keys.length; i++) {
    yield* mstEntries(root.children[i]!);
    yield { key: root.keys[i]!, value: root.values[i]! };
  }
  yield* mstEntries(root.children[root.keys.length]!);
}

/** Every node of the tree, by hex hash (for serving subtrees to a peer). */
export function mstIndex(root: MstNode | null, into = new Map<string, MstNode>()): Map<string, MstNode> {
  if (!root) return into;
  into.set(bytesToHex(root.hash), root);
  for (const c of root.children) mstIndex(c, into);
  return into;
}
