export * from './dns/index.ts';
export { PKARR_ERROR_DOCS, PKARR_ERRORS, PkarrError, type PkarrErrorCode } from './errors.ts';
export { normalizeName, nameMatches } from './names.ts';
export { formatHttpDate, parseHttpDate } from './http-date.ts';
export {
  RelayClient,
  RESOLVE_POLICIES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  HEADER_DHT_STORED_NODES,
  HEADER_INVALID_SIGNED_PACKET_SEQ,
  RELAY_CONTENT_TYPE,
  type ResolvePolicy,
  type RelayClientOptions,
  type RelayResolveOptions,
  type RelayPublishOptions,
} from './relay-client.ts';
export {
  SignedPacket,
  signable,
  type SignOptions,
  MAX_DNS_BYTES,
  MAX_SIGNED_PACKET_BYTES,
  MIN_SIGNED_PACKET_BYTES,
  MAX_RELAY_PAYLOAD_BYTES,
  DEFAULT_MINIMUM_TTL,
  DEFAULT_MAXIMUM_TTL,
} from './signed-packet.ts';
export { LruPacketCache, DEFAULT_CACHE_SIZE, type PacketCache } from './packet-cache.ts';
export type { DhtBackend, DhtMutableItem } from './dht-backend.ts';
export { resolveFromDht } from './dht-resolve.ts';
export { ResolveAccumulator, PublishAccumulator, type CacheContext } from './accumulators.ts';
export {
  resolveEndpoints,
  endpointRecords,
  DEFAULT_MAX_RECURSION_DEPTH,
  type Endpoint,
  type EndpointOptions,
} from './endpoints.ts';
export { selectHomeserverEndpoint, type HomeserverEndpoint } from './homeserver-endpoint.ts';
export { homeserverOf, mirrorsOf, withHomeserver, withMirrors, PUBKY_RECORD_TTL, type PubkyRecordOptions } from './pubky-record.ts';
export { Pkarr, DEFAULT_RELAYS, type PkarrOptions, type ResolveOptions, type PublishOptions } from './pkarr.ts';
