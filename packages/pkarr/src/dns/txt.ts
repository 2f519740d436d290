import type { TXTRecord } from './types.ts';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');

/** A TXT record holding `text` as UTF-8, split into 255-byte character-strings. */
export function txtRecord(name: string, text: string, ttl: number): TXTRecord {
  const bytes = enc.encode(text);
  const strings: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 255) strings.push(bytes.slice(i, i + 255));
  if (strings.length === 0) strings.push(new Uint8Array(0));
  return { type: 'TXT', name, ttl, strings };
}

/** The character-strings of a TXT record joined and read as UTF-8 (lenient). */
export function txtText(record: TXTRecord): string {
  let len = 0;
  for (const s of record.strings) len += s.length;
  const all = new Uint8Array(len);
  let o = 0;
  for (const s of record.strings) {
    all.set(s, o);
    o += s.length;
  }
  return dec.decode(all);
}
