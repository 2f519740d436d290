import { PkarrError } from '../errors.ts';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.ts';
import { readSvcParams, writeSvcParams } from './svc-params.ts';
import { CLASS_IN, PKARR_FLAGS, RecordType, type DnsPacket, type DnsQuestion, type DnsRecord } from './types.ts';
import { DnsReader, DnsWriter } from './wire.ts';

export interface DecodeOptions {
  /**
   * What to do with bytes after the last record. `reject` (default) throws `dns_trailing_bytes`;
   * `ignore` accepts them, as the reference decoder (simple-dns) does — SignedPacket uses it,
   * because the signature covers whatever bytes the author produced.
   */
  trailingBytes?: 'reject' | 'ignore';
}

/** Input of `encodeDnsPacket`: only `answers` is required (id 0, flags 0x8000 by default). */
export interface DnsPacketInput {
  id?: number;
  flags?: number;
  questions?: DnsQuestion[];
  answers?: DnsRecord[];
  authorities?: DnsRecord[];
  additionals?: DnsRecord[];
}

function invalid(message: string): PkarrError {
  return new PkarrError('dns_invalid_record', message);
}

function checkInt(v: unknown, max: number, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max)
    throw invalid(`${what} must be an integer 0..${max}, got ${String(v)}`);
  return v as number;
}

function typeCodeOf(record: DnsRecord): number {
  switch (record.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'TXT':
    case 'SVCB':
    case 'HTTPS':
      return RecordType[record.type];
    case 'UNKNOWN':
      return checkInt(record.typeCode, 0xffff, 'typeCode');
    default:
      throw invalid(`unknown record type ${JSON.stringify((record as { type?: unknown }).type)}`);
  }
}

function writeRecord(w: DnsWriter, record: DnsRecord): void {
  if (record === null || typeof record !== 'object') throw invalid('a record must be an object');
  const type = typeCodeOf(record);
  w.name(record.name, true);
  w.u16(type);
  w.u16(checkInt(record.class ?? CLASS_IN, 0xffff, 'class'));
  w.u32(checkInt(record.ttl, 0xffffffff, 'ttl'));
  const lengthAt = w.len;
  w.u16(0);
  const start = w.len;
  switch (record.type) {
    case 'A':
      w.bytes(parseIPv4(record.address));
      break;
    case 'AAAA':
      w.bytes(parseIPv6(record.address));
      break;
    case 'CNAME':
    case 'NS':
      w.name(record.target, true);
      break;
    case 'TXT':
      if (!Array.isArray(record.strings)) throw invalid('TXT strings must be an array of Uint8Array');
      for (const s of record.strings) {
        if (!(s instanceof Uint8Array)) throw invalid('TXT strings must be Uint8Array (use txtRecord() for text)');
        if (s.length > 255) throw invalid(`a TXT character-string is at most 255 bytes, got ${s.length}`);
        w.u8(s.length);
        w.bytes(s);
      }
      break;
    case 'SVCB':
    case 'HTTPS':
      w.u16(checkInt(record.priority, 0xffff, 'priority'));
      // RFC 9460 §2.2: TargetName is never compressed
      w.name(record.target, false);
      writeSvcParams(w, record.params);
      break;
    case 'UNKNOWN':
      if (!(record.rdata instanceof Uint8Array)) throw invalid('UNKNOWN rdata must be a Uint8Array');
      w.bytes(record.rdata);
      break;
  }
  const length = w.len - start;
  if (length > 0xffff) throw invalid(`record data of ${record.name} is ${length} bytes, at most 65535 allowed`);
  w.setU16(lengthAt, length);
}

/** RFC 1035 wire format with name compression (owner names, CNAME/NS targets). */
export function encodeDnsPacket(packet: DnsPacketInput): Uint8Array {
  const questions = packet.questions ?? [];
  const sections = [packet.answers ?? [], packet.authorities ?? [], packet.additionals ?? []];
  for (const list of [questions, ...sections]) {
    if (list.length > 0xffff) throw new PkarrError('dns_too_many_records', `a DNS section holds at most 65535 entries, got ${list.length}`);
  }
  const w = new DnsWriter();
  w.u16(checkInt(packet.id ?? 0, 0xffff, 'id'));
  w.u16(checkInt(packet.flags ?? PKARR_FLAGS, 0xffff, 'flags'));
  w.u16(questions.length);
  for (const s of sections) w.u16(s.length);
  for (const q of questions) {
    w.name(q.name, true);
    w.u16(checkInt(q.type, 0xffff, 'question type'));
    w.u16(checkInt(q.class ?? CLASS_IN, 0xffff, 'question class'));
  }
  for (const s of sections) for (const r of s) writeRecord(w, r);
  return w.finish();
}

function readRecord(r: DnsReader, index: number, section: string): DnsRecord {
  const what = `${section} record ${index}`;
  const name = r.name(`owner name of ${what}`);
  const type = r.u16(`type of ${what}`);
  const klass = r.u16(`class of ${what}`);
  const ttl = r.u32(`ttl of ${what}`);
  const rdlength = r.u16(`rdlength of ${what}`);
  const start = r.pos;
  r.need(rdlength, `the ${rdlength}-byte data of ${what}`);
  const end = start + rdlength;
  const base = { name, ttl, class: klass };
  let record: DnsRecord;
  const exact = (n: number, kind: string) => {
    if (rdlength !== n) throw new PkarrError('dns_bad_rdata', `${kind} data of ${what} must be ${n} bytes, got ${rdlength}`);
  };
  switch (type) {
    case RecordType.A:
      exact(4, 'A');
      record = { ...base, type: 'A', address: formatIPv4(r.bytes(4, 'A address')) };
      break;
    case RecordType.AAAA:
      exact(16, 'AAAA');
      record = { ...base, type: 'AAAA', address: formatIPv6(r.bytes(16, 'AAAA address')) };
      break;
    case RecordType.CNAME:
    case RecordType.NS:
      record = { ...base, type: type === RecordType.NS ? 'NS' : 'CNAME', target: r.name(`target of ${what}`, end) };
      break;
    case RecordType.TXT: {
      const strings: Uint8Array[] = [];
      while (r.pos < end) {
        const n = r.u8('TXT string length');
        if (r.pos + n > end) throw new PkarrError('dns_bad_rdata', `a ${n}-byte TXT string of ${what} overruns its record data`);
        strings.push(r.bytes(n, 'TXT string'));
      }
      record = { ...base, type: 'TXT', strings };
      break;
    }
    case RecordType.SVCB:
    case RecordType.HTTPS: {
      if (rdlength < 3) throw new PkarrError('dns_bad_rdata', `SVCB/HTTPS data of ${what} is ${rdlength} bytes, at least 3 needed`);
      const priority = r.u16('SvcPriority');
      const target = r.name(`TargetName of ${what}`, end);
      const params = readSvcParams(r, end);
      record = { ...base, type: type === RecordType.SVCB ? 'SVCB' : 'HTTPS', priority, target, params };
      break;
    }
    default:
      record = { ...base, type: 'UNKNOWN', typeCode: type, rdata: r.bytes(rdlength, 'record data') };
  }
  if (r.pos !== end) {
    throw new PkarrError('dns_bad_rdata', `data of ${what} has ${end - r.pos} unread byte(s) after a well-formed value`);
  }
  return record;
}

/** Decodes an RFC 1035 message; every malformation is a PkarrError with a `dns_*` code. */
export function decodeDnsPacket(bytes: Uint8Array, options: DecodeOptions = {}): DnsPacket {
  if (!(bytes instanceof Uint8Array)) throw new PkarrError('dns_truncated', 'a DNS packet must be a Uint8Array');
  const r = new DnsReader(bytes);
  const id = r.u16('header id');
  const flags = r.u16('header flags');
  const qd = r.u16('question count');
  const an = r.u16('answer count');
  const ns = r.u16('authority count');
  const ar = r.u16('additional count');
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const name = r.name(`question ${i}`);
    questions.push({ name, type: r.u16(`type of question ${i}`), class: r.u16(`class of question ${i}`) });
  }
  const readSection = (count: number, label: string) => {
    const out: DnsRecord[] = [];
    for (let i = 0; i < count; i++) out.push(readRecord(r, i, label));
    return out;
  };
  const answers = readSection(an, 'answer');
  const authorities = readSection(ns, 'authority');
  const additionals = readSection(ar, 'additional');
  if (r.pos !== bytes.length && options.trailingBytes !== 'ignore') {
    throw new PkarrError('dns_trailing_bytes', `${bytes.length - r.pos} byte(s) after the last record (offset ${r.pos})`);
  }
  return { id, flags, questions, answers, authorities, additionals };
}
