import { sha256 } from '#sha256';
import { bytesEqual, compareBytes } from '../bytes.ts';
import { MerkleError } from './errors.ts';
import { checkNodeRange, decodeNode, type LeafValue } from './node-codec.ts';
import { EMPTY_ROOT, type MstNode } from './tree.ts';

/**
 * A proof for one key: the encoded nodes from the root down to the node that holds the key
 * (inclusion) or whose child slot for it is empty (absence). An empty tree's proof is the one
 * empty root node.
 */
export type MstProof = Uint8Array[];

/** Deepest proof accepted: a tree of 2^53 keys has about 27 layers; 64 leaves margin. */
export const MAX_PROOF_NODES = 64;

const EMPTY_NODE = Uint8Array.of(0x01, 0x00, 0x00, 0x00);

export function mstProve(root: MstNode | null, key: Uint8Array): MstProof {
  if (!root) return [EMPTY_NODE];
  const proof: MstProof = [];
  let n: MstNode | null = root;
  while (n) {
    proof.push(n.encode());
    let i = 0;
    while (i < n.keys.length && compareBytes(n.keys[i]!, key) < 0) i++;
    if (i < n.keys.length && compareBytes(n.keys[i]!, key) === 0) break;
    n = n.children[i]!;
  }
  return proof;
}

/**
 * Checks `proof` against `root` and returns what the tree holds for `key`: its value, or null when
 * the proof shows the key absent. Every node is hashed and checked against the hash its parent (or
 * `root`) names before anything in it is used. Throws MerkleError when the proof does not check out.
 */
export function mstVerifyProof(root: Uint8Array, key: Uint8Array, proof: MstProof): LeafValue | null {
  if (proof.length === 0) throw new MerkleError('merkle_proof_incomplete', 'The proof holds no node');
  if (proof.length > MAX_PROOF_NODES) {
    throw new MerkleError('merkle_proof_too_long', `A proof of ${proof.length} nodes is longer than any tree (at most ${MAX_PROOF_NODES})`);
  }
  let expected = root;
  let lo: Uint8Array | null = null;
  let hi: Uint8Array | null = null;
  let parentLayer = Infinity;
  for (let depth = 0; depth < proof.length; depth++) {
    const bytes = proof[depth]!;
    if (!bytesEqual(sha256(bytes), expected)) {
      throw new MerkleError('merkle_hash_mismatch', `Proof node ${depth} does not hash to the hash its parent names`);
    }
    const node = decodeNode(bytes);
    if (depth === 0 && node.entries.length === 0) {
      if (!bytesEqual(root, EMPTY_ROOT) || proof.length !== 1)
        throw new MerkleError('merkle_node_noncanonical', 'An empty node that is not the empty root');
      return null;
    }
    if (depth > 0) checkNodeRange(node, parentLayer, lo, hi);
    let i = 0;
    while (i < node.entries.length && compareBytes(node.entries[i]!.key, key) < 0) i++;
    const here = node.entries[i];
    const last = depth === proof.length - 1;
    if (here && compareBytes(here.key, key) === 0) {
      if (!last) throw new MerkleError('merkle_proof_too_long', 'The proof goes on below the node that holds the key');
      return here.value;
    }
    const child = node.children[i]!;
    if (child === null) {
      if (!last) throw new MerkleError('merkle_proof_too_long', 'The proof goes on below an empty child slot');
      return null;
    }
    if (last) throw new MerkleError('merkle_proof_incomplete', 'The proof stops above the node the key would be in');
    expected = child;
    if (i > 0) lo = node.entries[i - 1]!.key;
    if (here) hi = here.key;
    parentLayer = node.layer;
  }
  throw new MerkleError('merkle_proof_incomplete', 'The proof stops early');
}
