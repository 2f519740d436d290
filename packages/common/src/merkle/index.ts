export { MerkleError, type MerkleErrorCode } from './errors.ts';
export { keyLayer, MAX_KEY_BYTES } from './layer.ts';
export {
  checkNodeRange,
  decodeNode,
  encodeNode,
  HASH_BYTES,
  leafValuesEqual,
  NODE_FORMAT,
  type DecodedNode,
  type LeafValue,
  type NodeEntry,
} from './node-codec.ts';
export { EMPTY_ROOT, mstBuild, mstDelete, mstEntries, mstGet, MstNode, mstIndex, mstPut, mstRoot } from './tree.ts';
export { MAX_PROOF_NODES, mstProve, mstVerifyProof, type MstProof } from './proof.ts';
export { memorySource, mstDiff, verifiedSource, type MstChange, type NodeSource } from './diff.ts';
export { privateTreeKey, publicTreeKey } from './private-key.ts';
