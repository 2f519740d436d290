import { PubkyError } from '../errors.ts';

/**
 * Codes of a tree node, proof or diff that does not check out. Every one means the bytes came from
 * a peer that is broken or lying: do not use them, fetch from elsewhere or report it.
 */
export type MerkleErrorCode =
  | 'merkle_node_malformed'
  | 'merkle_node_noncanonical'
  | 'merkle_hash_mismatch'
  | 'merkle_proof_incomplete'
  | 'merkle_proof_too_long'
  | 'merkle_key_invalid';

export class MerkleError extends PubkyError {
  declare readonly code: MerkleErrorCode;
  constructor(code: MerkleErrorCode, message: string) {
    super(code, message);
    this.name = 'MerkleError';
  }
}
