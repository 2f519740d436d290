export {
  startPkarrRelay,
  DEFAULT_RELAY_RATE_LIMIT,
  PKARR_RELAY_TESTNET_PORT,
  HEADER_INVALID_SEQ,
  HEADER_STORED_NODES,
  type PkarrRelayOptions,
  type PkarrRelayHandle,
  type RelayRateLimitOptions,
  type ResolvePolicy,
} from './pkarr-relay.ts';
export { startRelayDhtNode, type DhtBackend, type DhtMutableItem, type RelayDhtNodeOptions } from './dht-backend.ts';
export { PacketCache, CacheEntry, PKARR_PAYLOAD_CONTENT_TYPE, type PacketCacheOptions } from './packet-cache.ts';
export { RateLimiter, type Quota } from './rate-limiter.ts';
export { parseRelayPayload, type RelayPacket } from './relay-packet.ts';
export {
  startHttpRelay,
  HTTP_RELAY_DEFAULTS,
  HTTP_RELAY_TESTNET_PORT,
  type HttpRelayOptions,
  type HttpRelayHandle,
} from './http-relay.ts';
export { InboxStore, LinkStore, type HttpRelayLimits, type RelayMessage } from './http-relay-store.ts';
