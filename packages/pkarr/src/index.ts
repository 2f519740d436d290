export * from './dns/index.ts';
export { PkarrError, type PkarrErrorCode } from './errors.ts';
export { normalizeName, nameMatches } from './names.ts';
export { formatHttpDate, parseHttpDate } from './http-date.ts';
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
