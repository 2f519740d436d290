export { encodeDnsPacket, decodeDnsPacket, type DecodeOptions, type DnsPacketInput } from './packet.ts';
export { SvcParamKey, svcParamValue, pubkyHttpPort } from './svc-params.ts';
export { parseIPv4, parseIPv6, formatIPv4, formatIPv6 } from './ip.ts';
export * from './types.ts';
export { txtRecord, txtText } from './txt.ts';
