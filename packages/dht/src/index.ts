export {
  DhtNode,
  DEFAULT_BOOTSTRAP,
  DEFAULT_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type DhtNodeOptions,
  type GetOptions,
  type MutableItem,
  type MutablePut,
  type NodeStats,
  type PutResult,
} from './node.ts';
export { startLocalSwarm, type LocalSwarm, type LocalSwarmOptions } from './swarm.ts';
export { DHT_ERROR_DOCS, DHT_ERRORS, DhtError, type DhtErrorCode } from './errors.ts';
export {
  encodeSignable,
  immutableTarget,
  mutableTarget,
  verifyMutable,
  sha1,
  MAX_SALT_BYTES,
  MAX_VALUE_BYTES,
} from './bep44.ts';
export { bdecode, bencode, type BValue, type BDict, type BEncodable } from './bencode.ts';
export {
  decodeMessage,
  decodeNodes,
  encodeNodes,
  encodeQuery,
  encodeResponse,
  encodeError,
  KrpcDecodeError,
  type KrpcMessage,
  type NodeAddress,
  type NodeInfo,
  type Query,
  type ResponseBody,
} from './krpc.ts';
export { distance, bep42Id, bep42Prefix, isValidBep42, randomId } from './node-id.ts';
export { RoutingTable, K } from './routing-table.ts';
export { ItemStore, TokenIssuer, KRPC_ERRORS } from './store.ts';
