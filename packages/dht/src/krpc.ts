// KRPC messages (BEP5, BEP44): from bytes to typed messages and back. Decoding never trusts a
// field's type or length; every refusal is a DhtError whose message names the field.
import { bdecode, bencode, type BDict, type BEncodable, type BValue } from './bencode.ts';
import { DhtError, type DhtErrorCode } from './errors.ts';
import { ID_LENGTH } from './node-id.ts';

export interface NodeAddress {
  host: string;
  port: number;
}
export interface NodeInfo extends NodeAddress {
  id: Uint8Array;
}

export type Query =
  | { method: 'ping' }
  | { method: 'find_node'; target: Uint8Array }
  | { method: 'get_peers'; infoHash: Uint8Array }
  | { method: 'announce_peer'; infoHash: Uint8Array; port: number; token: Uint8Array; impliedPort: boolean }
  | { method: 'get'; target: Uint8Array; seq?: number }
  | PutQuery
  | { method: 'unknown'; name: string };

export interface PutQuery {
  method: 'put';
  token: Uint8Array;
  v: Uint8Array;
  /** Absent from bittorrent-dht's puts: the receiver computes it. */
  target?: Uint8Array;
  k?: Uint8Array;
  sig?: Uint8Array;
  seq?: number;
  cas?: number;
  salt?: Uint8Array;
}

/** The union of every response shape; which fields are present says what it answers (§4.2). */
export interface ResponseBody {
  id: Uint8Array;
  token?: Uint8Array;
  nodes?: NodeInfo[];
  values?: NodeAddress[];
  v?: Uint8Array;
  k?: Uint8Array;
  sig?: Uint8Array;
  seq?: number;
}

export type KrpcMessage =
  | { y: 'q'; t: Uint8Array; id: Uint8Array; ro: boolean; query: Query }
  | { y: 'r'; t: Uint8Array; ro: boolean; ip?: NodeAddress; body: ResponseBody }
  | { y: 'e'; t: Uint8Array; code: number; message: string };

/** A refused message. `t` is set when the message was a query whose transaction id was readable. */
export class KrpcDecodeError extends DhtError {
  readonly t?: Uint8Array;
  constructor(code: DhtErrorCode, message: string, t?: Uint8Array) {
    super(code, message);
    if (t) this.t = t;
  }
}

const td = new TextDecoder('utf-8', { fatal: false });
const MAX_TID = 64;
const MAX_TOKEN = 128;

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function isBytes(x: BValue | undefined): x is Uint8Array {
  return x instanceof Uint8Array;
}
function isDict(x: BValue | undefined): x is BDict {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x);
}

export function decodeMessage(data: Uint8Array): KrpcMessage {
  let root: BValue;
  try {
    root = bdecode(data);
  } catch (err) {
    if (err instanceof DhtError) throw new KrpcDecodeError(err.code, err.message);
    throw err;
  }
  if (!isDict(root)) throw new KrpcDecodeError('krpc_invalid', 'message is not a dictionary');
  const t = root.t;
  if (!isBytes(t)) throw new KrpcDecodeError('krpc_invalid', 'transaction id "t" missing or not a byte string');
  if (t.length === 0 || t.length > MAX_TID) throw new KrpcDecodeError('krpc_invalid', `transaction id of ${t.length} bytes`);
  const y = root.y;
  if (!isBytes(y)) throw new KrpcDecodeError('krpc_invalid', 'message type "y" missing or not a byte string');
  const ys = latin1(y);
  const ro = root.ro === 1;
  if (ys === 'q') return decodeQuery(root, t, ro);
  if (ys === 'r') {
    const r = root.r;
    if (!isDict(r)) throw new KrpcDecodeError('krpc_invalid', 'response without an "r" dictionary');
    const msg: KrpcMessage = { y: 'r', t, ro, body: decodeResponseBody(r) };
    if (isBytes(root.ip) && root.ip.length === 6) msg.ip = decodePeer(root.ip);
    return msg;
  }
  if (ys === 'e') {
    const e = root.e;
    if (!Array.isArray(e) || e.length < 1 || typeof e[0] !== 'number') {
      throw new KrpcDecodeError('krpc_invalid', 'error without an "e" list starting with an integer code');
    }
    const m = e[1];
    return { y: 'e', t, code: e[0], message: isBytes(m) ? td.decode(m.subarray(0, 256)) : '' };
  }
  throw new KrpcDecodeError('krpc_invalid', `unknown message type "${latin1(y.subarray(0, 8)).replace(/[^\x20-\x7e]/g, '?')}"`);
}

function bytesField(a: BDict, name: string, t: Uint8Array, len?: number, optional = false): Uint8Array | undefined {
  const x = a[name];
  if (x === undefined && optional) return undefined;
  if (!isBytes(x)) throw new KrpcDecodeError('krpc_invalid', `argument "${name}" missing or not a byte string`, t);
  if (len !== undefined && x.length !== len) {
    throw new KrpcDecodeError('krpc_invalid', `argument "${name}" is ${x.length} bytes, expected ${len}`, t);
  }
  return x;
}
function intField(a: BDict, name: string, t: Uint8Array, optional = false): number | undefined {
  const x = a[name];
  if (x === undefined && optional) return undefined;
  if (typeof x !== 'number') throw new KrpcDecodeError('krpc_invalid', `argument "${name}" missing or not an integer`, t);
  return x;
}

function decodeQuery(root: BDict, t: Uint8Array, ro: boolean): KrpcMessage {
  const q = root.q;
  if (!isBytes(q)) throw new KrpcDecodeError('krpc_invalid', 'query without a method name "q"', t);
  const a = root.a;
  if (!isDict(a)) throw new KrpcDecodeError('krpc_invalid', 'query without an "a" dictionary', t);
  const id = bytesField(a, 'id', t, ID_LENGTH)!;
  const method = latin1(q);
  let query: Query;
  switch (method) {
    case 'ping':
      query = { method };
      break;
    case 'find_node':
      query = { method, target: bytesField(a, 'target', t, ID_LENGTH)! };
      break;
    case 'get_peers':
      query = { method, infoHash: bytesField(a, 'info_hash', t, ID_LENGTH)! };
      break;
    case 'announce_peer': {
      const port = intField(a, 'port', t, true);
      const implied = intField(a, 'implied_port', t, true);
      const impliedPort = implied !== undefined && implied !== 0;
      if (!impliedPort && (port === undefined || port < 1 || port > 65535)) {
        throw new KrpcDecodeError('krpc_invalid', `argument "port" missing or out of range`, t);
      }
      query = {
        method,
        infoHash: bytesField(a, 'info_hash', t, ID_LENGTH)!,
        port: port ?? 0,
        token: bytesField(a, 'token', t)!,
        impliedPort,
      };
      break;
    }
    case 'get': {
      const g: Query = { method, target: bytesField(a, 'target', t, ID_LENGTH)! };
      const seq = intField(a, 'seq', t, true);
      if (seq !== undefined) g.seq = seq;
      query = g;
      break;
    }
    case 'put': {
      const p: PutQuery = { method, token: bytesField(a, 'token', t)!, v: bytesField(a, 'v', t)! };
      const target = bytesField(a, 'target', t, ID_LENGTH, true);
      if (target) p.target = target;
      const k = bytesField(a, 'k', t, 32, true);
      if (k) {
        // A mutable put needs all three; Rust would panic on a partial one, we refuse it.
        p.k = k;
        p.sig = bytesField(a, 'sig', t, 64)!;
        p.seq = intField(a, 'seq', t)!;
        const cas = intField(a, 'cas', t, true);
        if (cas !== undefined) p.cas = cas;
        const salt = bytesField(a, 'salt', t, undefined, true);
        if (salt && salt.length > 0) p.salt = salt;
      } else if (a.sig !== undefined || a.seq !== undefined) {
        throw new KrpcDecodeError('krpc_invalid', 'mutable put without "k"', t);
      }
      query = p;
      break;
    }
    default:
      query = { method: 'unknown', name: method.replace(/[^\x20-\x7e]/g, '?').slice(0, 32) };
  }
  return { y: 'q', t, id, ro, query };
}

function decodeResponseBody(r: BDict): ResponseBody {
  const id = r.id;
  if (!isBytes(id) || id.length !== ID_LENGTH) throw new KrpcDecodeError('krpc_invalid', 'response "id" missing or not 20 bytes');
  const body: ResponseBody = { id };
  if (r.token !== undefined) {
    if (!isBytes(r.token) || r.token.length === 0 || r.token.length > MAX_TOKEN) {
      throw new KrpcDecodeError('krpc_invalid', 'response "token" is not a byte string of 1..128 bytes');
    }
    body.token = r.token;
  }
  if (r.nodes !== undefined) {
    if (!isBytes(r.nodes)) throw new KrpcDecodeError('krpc_invalid', 'response "nodes" is not a byte string');
    body.nodes = decodeNodes(r.nodes);
  }
  if (r.values !== undefined) {
    if (!Array.isArray(r.values)) throw new KrpcDecodeError('krpc_invalid', 'response "values" is not a list');
    // Peers of another length (IPv6) are skipped, not fatal.
    body.values = r.values.filter((x): x is Uint8Array => isBytes(x) && x.length === 6).map(decodePeer);
  }
  if (r.v !== undefined) {
    // BEP44 allows any bencoded v for immutable items; pkarr and mainline only use byte strings.
    if (!isBytes(r.v)) throw new KrpcDecodeError('krpc_invalid', 'response "v" is not a byte string');
    body.v = r.v;
  }
  if (r.k !== undefined) {
    if (!isBytes(r.k) || r.k.length !== 32) throw new KrpcDecodeError('krpc_invalid', 'response "k" is not 32 bytes');
    body.k = r.k;
  }
  if (r.sig !== undefined) {
    if (!isBytes(r.sig) || r.sig.length !== 64) throw new KrpcDecodeError('krpc_invalid', 'response "sig" is not 64 bytes');
    body.sig = r.sig;
  }
  if (r.seq !== undefined) {
    if (typeof r.seq !== 'number') throw new KrpcDecodeError('krpc_invalid', 'response "seq" is not an integer');
    body.seq = r.seq;
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Compact node and peer infos.

export function decodeNodes(buf: Uint8Array): NodeInfo[] {
  const out: NodeInfo[] = [];
  // A trailing partial entry is ignored rather than failing the whole response.
  for (let o = 0; o + 26 <= buf.length; o += 26) {
    const port = (buf[o + 24] << 8) | buf[o + 25];
    if (port === 0) continue;
    out.push({
      id: buf.slice(o, o + 20),
      host: `${buf[o + 20]}.${buf[o + 21]}.${buf[o + 22]}.${buf[o + 23]}`,
      port,
    });
  }
  return out;
}

export function encodeNodes(nodes: NodeInfo[]): Uint8Array {
  const out = new Uint8Array(nodes.length * 26);
  let o = 0;
  for (const n of nodes) {
    const ip = ipv4Bytes(n.host);
    if (!ip) continue;
    out.set(n.id, o);
    out.set(ip, o + 20);
    out[o + 24] = n.port >> 8;
    out[o + 25] = n.port & 0xff;
    o += 26;
  }
  return out.subarray(0, o);
}

export function decodePeer(b: Uint8Array): NodeAddress {
  return { host: `${b[0]}.${b[1]}.${b[2]}.${b[3]}`, port: (b[4] << 8) | b[5] };
}

export function encodePeer(p: NodeAddress): Uint8Array | null {
  const ip = ipv4Bytes(p.host);
  if (!ip) return null;
  return new Uint8Array([ip[0], ip[1], ip[2], ip[3], p.port >> 8, p.port & 0xff]);
}

function ipv4Bytes(host: string): Uint8Array | null {
  const parts = host.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!Number.isInteger(n) || n < 0 || n > 255 || parts[i] === '') return null;
    out[i] = n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/** 4 bytes: "TS" + protocol revision. Rust mainline requires `v`, when present, to be 4 bytes. */
export const CLIENT_VERSION = new Uint8Array([0x54, 0x53, 0x00, 0x01]);

export function encodeQuery(t: Uint8Array, method: string, args: { [k: string]: BEncodable | undefined }, ro: boolean): Uint8Array {
  return bencode({ t, y: 'q', q: method, a: args, v: CLIENT_VERSION, ro: ro ? 1 : undefined });
}

/** Never carries `ro`: Rust nodes ignore responses with ro ≠ 0. */
export function encodeResponse(t: Uint8Array, body: { [k: string]: BEncodable | undefined }, requester?: NodeAddress): Uint8Array {
  const ip = requester ? (encodePeer(requester) ?? undefined) : undefined;
  return bencode({ t, y: 'r', r: body, ip, v: CLIENT_VERSION });
}

export function encodeError(t: Uint8Array, code: number, message: string): Uint8Array {
  return bencode({ t, y: 'e', e: [code, message], v: CLIENT_VERSION });
}
