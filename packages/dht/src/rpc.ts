// The UDP side of a node: sends queries with 4-byte transaction ids, matches answers (same id,
// same address), times requests out, and hands incoming queries to a handler. Nothing a peer
// sends can throw out of here: every refusal is counted in `stats`.
import type { Socket, RemoteInfo } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { BEncodable } from './bencode.ts';
import {
  KrpcDecodeError,
  decodeMessage,
  encodeError,
  encodeQuery,
  encodeResponse,
  type KrpcMessage,
  type NodeAddress,
  type ResponseBody,
} from './krpc.ts';

export type Reply =
  | { kind: 'response'; body: ResponseBody; from: NodeAddress }
  | { kind: 'error'; code: number; message: string; from: NodeAddress }
  | { kind: 'timeout'; from: NodeAddress };

export interface RpcStats {
  packetsIn: number;
  packetsOut: number;
  queriesIn: number;
  queriesAnswered: number;
  requestsOut: number;
  responsesIn: number;
  errorsIn: number;
  timeouts: number;
  /** Undecodable packets (bencode or KRPC shape) that were dropped. */
  malformed: number;
  /** 203 answers sent for malformed queries whose transaction id was readable. */
  protocolErrorsSent: number;
  /** Answers with an unknown transaction id or from another address than the one asked. */
  unexpectedResponses: number;
  /** Answers carrying ro=1 (ignored, as the reference does). */
  readOnlyResponses: number;
  /** Queries ignored because the node is not in server mode. */
  queriesIgnored: number;
  /** Items in responses that failed a check (target, key, signature). */
  invalidValues: number;
  sendFailures: number;
  handlerFailures: number;
}

export type QueryHandler = (msg: Extract<KrpcMessage, { y: 'q' }>, from: NodeAddress) => void;

interface Pending {
  resolve: (r: Reply) => void;
  timer: NodeJS.Timeout;
  to: NodeAddress;
}

export class Rpc {
  readonly stats: RpcStats = {
    packetsIn: 0,
    packetsOut: 0,
    queriesIn: 0,
    queriesAnswered: 0,
    requestsOut: 0,
    responsesIn: 0,
    errorsIn: 0,
    timeouts: 0,
    malformed: 0,
    protocolErrorsSent: 0,
    unexpectedResponses: 0,
    readOnlyResponses: 0,
    queriesIgnored: 0,
    invalidValues: 0,
    sendFailures: 0,
    handlerFailures: 0,
  };
  readonly #pending = new Map<number, Pending>();
  #nextTid = randomBytes(4).readUInt32BE(0);
  #closed = false;

  constructor(
    readonly socket: Socket,
    readonly timeoutMs: number,
    private readonly onQuery: QueryHandler,
    /** Whether malformed queries get a 203 answer (server mode only). */
    private readonly answersQueries: () => boolean,
    private readonly readOnly: () => boolean,
  ) {
    socket.on('message', (buf, rinfo) => this.#onPacket(buf, rinfo));
    socket.on('error', () => {
      this.stats.sendFailures++;
    });
  }

  get inflight(): number {
    return this.#pending.size;
  }

  request(to: NodeAddress, method: string, args: { [k: string]: BEncodable | undefined }, timeoutMs = this.timeoutMs): Promise<Reply> {
    if (this.#closed) return Promise.resolve({ kind: 'timeout', from: to });
    let tid = this.#nextTid;
    while (this.#pending.has(tid)) tid = (tid + 1) >>> 0;
    this.#nextTid = (tid + 1) >>> 0;
    const t = new Uint8Array(4);
    new DataView(t.buffer).setUint32(0, tid);
    const packet = encodeQuery(t, method, args, this.readOnly());
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(tid);
        this.stats.timeouts++;
        resolve({ kind: 'timeout', from: to });
      }, timeoutMs);
      this.#pending.set(tid, { resolve, timer, to });
      this.stats.requestsOut++;
      this.#send(packet, to);
    });
  }

  respond(t: Uint8Array, to: NodeAddress, body: { [k: string]: BEncodable | undefined }): void {
    this.stats.queriesAnswered++;
    this.#send(encodeResponse(t, body, to), to);
  }

  error(t: Uint8Array, to: NodeAddress, code: number, message: string): void {
    this.#send(encodeError(t, code, message), to);
  }

  #send(packet: Uint8Array, to: NodeAddress): void {
    if (this.#closed) return;
    try {
      this.socket.send(packet, to.port, to.host, (err) => {
        if (err) this.stats.sendFailures++;
      });
      this.stats.packetsOut++;
    } catch {
      this.stats.sendFailures++; // bad port or address in a peer-supplied node list
    }
  }

  #onPacket(buf: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    this.stats.packetsIn++;
    const from = { host: rinfo.address, port: rinfo.port };
    let msg: KrpcMessage;
    try {
      msg = decodeMessage(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    } catch (err) {
      this.stats.malformed++;
      if (err instanceof KrpcDecodeError && err.t && this.answersQueries()) {
        this.stats.protocolErrorsSent++;
        this.error(err.t, from, 203, `Protocol Error: ${err.message}`);
      }
      return;
    }
    try {
      if (msg.y === 'q') {
        this.stats.queriesIn++;
        if (!this.answersQueries()) {
          this.stats.queriesIgnored++;
          return;
        }
        this.onQuery(msg, from);
        return;
      }
      // We only ever send 4-byte ids: anything else is not ours.
      if (msg.t.length !== 4) {
        this.stats.unexpectedResponses++;
        return;
      }
      const tid = new DataView(msg.t.buffer, msg.t.byteOffset, 4).getUint32(0);
      const p = this.#pending.get(tid);
      if (!p || p.to.port !== from.port || p.to.host !== from.host) {
        this.stats.unexpectedResponses++;
        return;
      }
      if (msg.y === 'r' && msg.ro) {
        this.stats.readOnlyResponses++;
        return;
      }
      this.#pending.delete(tid);
      clearTimeout(p.timer);
      if (msg.y === 'r') {
        this.stats.responsesIn++;
        p.resolve({ kind: 'response', body: msg.body, from });
      } else {
        this.stats.errorsIn++;
        p.resolve({ kind: 'error', code: msg.code, message: msg.message, from });
      }
    } catch {
      this.stats.handlerFailures++;
    }
  }

  /** Resolves every pending request as a timeout and stops sending. */
  close(): void {
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'timeout', from: p.to });
    }
    this.#pending.clear();
  }
}
