import { sha256 } from '#sha256';
import { bytesEqual, bytesToHex, compareBytes } from '../bytes.ts';
import { MerkleError } from './errors.ts';
import { checkNodeRange, decodeNode, leafValuesEqual, type DecodedNode, type LeafValue } from './node-codec.ts';
import { EMPTY_ROOT, type MstNode } from './tree.ts';

/** Where a diff gets the nodes it descends into. */
export interface NodeSource {
  /** The nodes with these hashes, in that order. */
  nodes(hashes: Uint8Array[]): Promise<DecodedNode[]> | DecodedNode[];
}

/** A source over an in-memory tree (the homeserver's own). */
export function memorySource(index: Map<string, MstNode>): NodeSource {
  return {
    nodes(hashes) {
      return hashes.map((h) => {
        const n = index.get(bytesToHex(h));
        if (!n) throw new MerkleError('merkle_proof_incomplete', `No node ${bytesToHex(h)} in this tree`);
        return n.toDecoded();
      });
    },
  };
}

/**
 * A source over encoded nodes from a peer: each is hashed and must match the hash asked for
 * before it is decoded (a peer cannot swap a node under a genuine root).
 */
export function verifiedSource(fetch: (hashes: Uint8Array[]) => Promise<Uint8Array[]>): NodeSource {
  return {
    async nodes(hashes) {
      const got = await fetch(hashes);
      if (got.length !== hashes.length) {
        throw new MerkleError('merkle_proof_incomplete', `Asked for ${hashes.length} nodes, got ${got.length}`);
      }
      return got.map((bytes, i) => {
        if (!bytesEqual(sha256(bytes), hashes[i]!))
          throw new MerkleError('merkle_hash_mismatch', 'A fetched node does not hash to the hash asked for');
        return decodeNode(bytes);
      });
    },
  };
}

export interface MstChange {
  key: Uint8Array;
  /** null: the key is not in the old tree. */
  before: LeafValue | null;
  /** null: the key is not in the new tree. */
  after: LeafValue | null;
}

/** One item of a tree's walk in key order: an entry, or a subtree not opened yet. */
type Item =
  | { kind: 'entry'; key: Uint8Array; value: LeafValue }
  | { kind: 'tree'; hash: Uint8Array; parentLayer: number; lo: Uint8Array | null; hi: Uint8Array | null };

function expand(node: DecodedNode, item: Item & { kind: 'tree' }): Item[] {
  // A root has no bounds and parentLayer Infinity: the same check (non-empty) holds for it.
  checkNodeRange(node, item.parentLayer, item.lo, item.hi);
  const out: Item[] = [];
  const n = node.entries.length;
  for (let i = 0; i <= n; i++) {
    const child = node.children[i]!;
    if (child) {
      out.push({
        kind: 'tree',
        hash: child,
        parentLayer: node.layer,
        lo: i > 0 ? node.entries[i - 1]!.key : item.lo,
        hi: i < n ? node.entries[i]!.key : item.hi,
      });
    }
    if (i < n) out.push({ kind: 'entry', key: node.entries[i]!.key, value: node.entries[i]!.value });
  }
  return out;
}

/** Pushes `items` so that the first is on top (a copy of the whole stack per opened node made diffs O(n)). */
function pushReversed(stack: Item[], items: Item[]): void {
  for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]!);
}

/**
 * The changes from tree `a` to tree `b`. Both are walked in key order as sequences of entries and
 * unopened subtrees; two subtrees with the same hash hold the same entries and are skipped whole,
 * so only subtrees that differ are fetched (one node per side per `nodes()` call).
 */
export async function mstDiff(
  a: { root: Uint8Array; source: NodeSource },
  b: { root: Uint8Array; source: NodeSource },
): Promise<MstChange[]> {
  const changes: MstChange[] = [];
  if (bytesEqual(a.root, b.root)) return changes;
  const rootItem = (root: Uint8Array): Item[] =>
    bytesEqual(root, EMPTY_ROOT) ? [] : [{ kind: 'tree', hash: root, parentLayer: Infinity, lo: null, hi: null }];
  // Reversed stacks: the next item is at the end.
  const sa = rootItem(a.root);
  const sb = rootItem(b.root);
  for (;;) {
    // Merge entries and skip equal subtrees until both heads are entries or one side must be opened.
    const needA: Item[] = [];
    const needB: Item[] = [];
    while (needA.length === 0 && needB.length === 0) {
      const x = sa[sa.length - 1];
      const y = sb[sb.length - 1];
      if (!x && !y) return changes;
      if (x?.kind === 'tree' && y?.kind === 'tree' && bytesEqual(x.hash, y.hash)) {
        sa.pop();
        sb.pop();
      } else if (x?.kind === 'tree') needA.push(x);
      else if (y?.kind === 'tree') needB.push(y);
      else if (!x) {
        changes.push({ key: y!.key, before: null, after: y!.value });
        sb.pop();
      } else if (!y) {
        changes.push({ key: x.key, before: x.value, after: null });
        sa.pop();
      } else {
        const c = compareBytes(x.key, y!.key);
        if (c < 0) {
          changes.push({ key: x.key, before: x.value, after: null });
          sa.pop();
        } else if (c > 0) {
          changes.push({ key: y!.key, before: null, after: y!.value });
          sb.pop();
        } else {
          if (!leafValuesEqual(x.value, y!.value)) changes.push({ key: x.key, before: x.value, after: y!.value });
          sa.pop();
          sb.pop();
        }
      }
    }
    // Opening a subtree on one side: open the other side's head too when it is a subtree (they
    // differ), so both sides descend together and the next round can skip what they share.
    const x = sa[sa.length - 1];
    const y = sb[sb.length - 1];
    if (needA.length === 0 && x?.kind === 'tree') needA.push(x);
    if (needB.length === 0 && y?.kind === 'tree') needB.push(y);
    const [na, nb] = await Promise.all([
      needA.length ? a.source.nodes(needA.map((i) => (i as Item & { kind: 'tree' }).hash)) : [],
      needB.length ? b.source.nodes(needB.map((i) => (i as Item & { kind: 'tree' }).hash)) : [],
    ]);
    if (needA.length) {
      sa.pop();
      pushReversed(sa, expand(na[0]!, needA[0] as Item & { kind: 'tree' }));
    }
    if (needB.length) {
      sb.pop();
      pushReversed(sb, expand(nb[0]!, needB[0] as Item & { kind: 'tree' }));
    }
  }
}
