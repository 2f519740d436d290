// A Mainline DHT node: UDP socket, routing table, server side (BEP5 + BEP44 store) and the client
// operations (iterative get/put, find_node, get_peers/announce_peer).
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { BEncodable } from './bencode.ts';
import { MAX_SALT_BYTES, MAX_VALUE_BYTES, immutableTarget, mutableTarget, verifyMutable } from './bep44.ts';
import { DhtError } from './errors.ts';
import { encodeNodes, encodePeer, type KrpcMessage, type NodeAddress, type NodeInfo, type ResponseBody } from './krpc.ts';
import { lookup, type LookupCounters, type LookupResult, type Responder } from './lookup.ts';
import { ID_LENGTH, randomId } from './node-id.ts';
import { K, RoutingTable } from './routing-table.ts';
import { Rpc, type RpcStats } from './rpc.ts';
import { ItemStore, KRPC_ERRORS, TokenIssuer, type StoreLimits } from './store.ts';

export const DEFAULT_BOOTSTRAP = [
  'router.bittorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'dht.libtorrent.org:25401',
  'relay.pkarr.org:6881',
];
export const DEFAULT_PORT = 6881;
export const DEFAULT_REQUEST_TIMEOUT_MS = 2000;

export interface DhtNodeOptions {
  /** UDP port; 0 = random. Default: 6881, or a random port if 6881 is taken. */
  port?: number;
  /** Bind address (IPv4). Default 0.0.0.0. */
  host?: string;
  /** "host:port" entries; [] for the first node of a network. Default: the public bootstrap list. */
  bootstrap?: string[];
  /**
   * Answer queries (store items, hand out tokens). Default: true when `bootstrap` is given
   * explicitly, false (read-only client, ro=1 on queries) with the public default list.
   */
  serverMode?: boolean;
  /** Per-request timeout (default 2000 ms). */
  requestTimeoutMs?: number;
  /** 20-byte node id. Default: random. */
  id?: Uint8Array;
  /** Store limits (defaults as the reference: 1000 mutable, 1000 immutable, 2000 × 500 peers). */
  limits?: StoreLimits;
  /** How often write-token secrets rotate (default 5 min; the previous secret stays valid). */
  tokenRotateMs?: number;
  /** Maintenance tick (refresh, stale-node pings). Default 60 s; 0 disables it. */
  maintenanceIntervalMs?: number;
  /** Wait for the join lookup (find_node of our own id) in `start()`. Default true. */
  waitForBootstrap?: boolean;
}

export interface MutableItem {
  key: Uint8Array;
  seq: number;
  value: Uint8Array;
  signature: Uint8Array;
  salt?: Uint8Array;
  from: NodeAddress;
}

export interface MutablePut {
  key: Uint8Array;
  seq: number;
  value: Uint8Array;
  signature: Uint8Array;
  salt?: Uint8Array;
  /** Only store if the stored item has this seq (301 otherwise). */
  cas?: number;
}

export interface GetOptions {
  salt?: Uint8Array;
  /** Ask only for items newer than this seq (nodes answer the no-more-recent form otherwise). */
  seq?: number;
  signal?: AbortSignal;
}

export interface PutResult {
  /** How many nodes acknowledged the put. */
  storedAt: number;
  /** How many nodes it was sent to. */
  sentTo: number;
  target: Uint8Array;
  /** KRPC errors received, by code. */
  errors: Record<number, number>;
}

export interface NodeStats extends RpcStats {
  routingTableSize: number;
  storedMutable: number;
  storedImmutable: number;
}

interface CachedLookup {
  at: number;
  responders: Responder[];
}

const LOOKUP_CACHE_MS = 5 * 60 * 1000;
const LOOKUP_CACHE_MAX = 1000;
const REFRESH_MS = 15 * 60 * 1000;
const PING_STALE_MS = 5 * 60 * 1000;

export class DhtNode implements AsyncDisposable {
  readonly id: Uint8Array;
  readonly serverMode: boolean;
  readonly table: RoutingTable;
  readonly store: ItemStore;
  readonly tokens: TokenIssuer;
  readonly #socket: Socket;
  readonly #rpc: Rpc;
  readonly #bootstrap: NodeAddress[];
  readonly #lookupCache = new Map<string, CachedLookup>();
  readonly #maintenance?: NodeJS.Timeout;
  #lastRefresh = 0;
  #closed = false;
  #closing?: Promise<void>;
  readonly #address: NodeAddress;

  private constructor(socket: Socket, opts: DhtNodeOptions, bootstrap: NodeAddress[], serverMode: boolean) {
    this.id = opts.id ?? randomId();
    this.serverMode = serverMode;
    this.#socket = socket;
    this.#bootstrap = bootstrap;
    const a = socket.address();
    this.#address = { host: a.address, port: a.port };
    this.table = new RoutingTable(this.id);
    this.store = new ItemStore(opts.limits);
    this.tokens = new TokenIssuer(opts.tokenRotateMs);
    this.#rpc = new Rpc(
      socket,
      opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      (msg, from) => this.#onQuery(msg, from),
      () => this.serverMode,
      () => !this.serverMode,
    );
    const tick = opts.maintenanceIntervalMs ?? 60_000;
    if (tick > 0) {
      this.#maintenance = setInterval(() => void this.#maintain(), tick);
      this.#maintenance.unref();
    }
  }

  static async start(opts: DhtNodeOptions = {}): Promise<DhtNode> {
    if (opts.id && opts.id.length !== ID_LENGTH) throw new DhtError('invalid_argument', `node id must be ${ID_LENGTH} bytes`);
    const host = opts.host ?? '0.0.0.0';
    if (isIP(host) !== 4) throw new DhtError('invalid_argument', `host must be an IPv4 address, got "${host}"`);
    const explicit = opts.bootstrap !== undefined;
    const serverMode = opts.serverMode ?? explicit;
    const bootstrap = await resolveBootstrap(opts.bootstrap ?? DEFAULT_BOOTSTRAP);
    let socket: Socket;
    if (opts.port === undefined) {
      try {
        socket = await bind(host, DEFAULT_PORT);
      } catch {
        socket = await bind(host, 0);
      }
    } else {
      socket = await bind(host, opts.port);
    }
    const node = new DhtNode(socket, opts, bootstrap, serverMode);
    if (bootstrap.length > 0) {
      const join = node.bootstrap();
      if (opts.waitForBootstrap ?? true) await join;
      else join.catch(() => {});
    }
    return node;
  }

  address(): NodeAddress {
    return { ...this.#address };
  }

  /** "host:port" to give others as a bootstrap entry (0.0.0.0 becomes 127.0.0.1). */
  bootstrapEntry(): string {
    const h = this.#address.host === '0.0.0.0' ? '127.0.0.1' : this.#address.host;
    return `${h}:${this.#address.port}`;
  }

  routingTableSize(): number {
    return this.table.size;
  }

  stats(): NodeStats {
    return {
      ...this.#rpc.stats,
      routingTableSize: this.table.size,
      storedMutable: this.store.mutable.size,
      storedImmutable: this.store.immutable.size,
    };
  }

  /** Joins (or re-joins) the network: find_node of our own id through the bootstrap nodes. */
  async bootstrap(): Promise<NodeInfo[]> {
    this.#lastRefresh = Date.now();
    return this.findNode(this.id);
  }

  /** Adds a node to the routing table without asking it (pre-seeded testnets). */
  addNode(node: NodeInfo): boolean {
    return this.table.add(node);
  }

  /** Sends a ping; resolves with the answering node's id, or null on timeout/error. */
  async ping(to: NodeAddress): Promise<Uint8Array | null> {
    const r = await this.#rpc.request(to, 'ping', { id: this.id });
    if (r.kind !== 'response') return null;
    this.#learn({ id: r.body.id, ...to });
    return r.body.id;
  }

  /** The K closest nodes to `target` that answered. */
  async findNode(target: Uint8Array): Promise<NodeInfo[]> {
    checkLength(target, 20, 'target');
    const res = await this.#lookup(target, 'find_node', { id: this.id, target });
    return res.closest;
  }

  // -- BEP44 mutable items ------------------------------------------------------------------

  /**
   * Streams every valid mutable item the lookup meets (duplicates and any seq order possible).
   * Items are checked: key as asked, target = sha1(k ‖ salt), Ed25519 signature.
   */
  async *getMutable(key: Uint8Array, opts: GetOptions = {}): AsyncGenerator<MutableItem> {
    checkLength(key, 32, 'public key');
    if (opts.salt && opts.salt.length > MAX_SALT_BYTES)
      throw new DhtError('invalid_argument', `salt is longer than ${MAX_SALT_BYTES} bytes`);
    const salt = opts.salt && opts.salt.length > 0 ? opts.salt : undefined;
    const target = mutableTarget(key, salt);
    // Most nodes answer the same item: verify each distinct signature once per lookup.
    const verified = new Map<string, { seq: number; v: Uint8Array }>();
    let pushed = 0;
    let usable = 0;
    yield* this.#stream<MutableItem>(opts.signal, async (push, signal) => {
      const res = await this.#lookup(
        target,
        'get',
        { id: this.id, target, seq: opts.seq },
        {
          signal,
          onResponse: (body, from) => {
            const item = this.#checkMutable(body, key, salt, from, verified);
            if (item || (body.token && !body.v)) usable++; // a value, no value, or no-more-recent
            if (item && (opts.seq === undefined || item.seq > opts.seq)) {
              pushed++;
              push(item);
            }
          },
        },
      );
      this.#cacheLookup(target, res);
      if (pushed === 0 && !res.stopped && !this.#closed) unreachableError(res.counters, usable);
    });
  }

  /** The most recent valid item (highest seq, then larger value) once the lookup completes. */
  async getMutableLatest(key: Uint8Array, opts: GetOptions = {}): Promise<MutableItem | null> {
    let best: MutableItem | null = null;
    for await (const item of this.getMutable(key, opts)) {
      if (!best || item.seq > best.seq || (item.seq === best.seq && compareBytes(item.value, best.value) > 0)) best = item;
    }
    return best;
  }

  async putMutable(item: MutablePut, opts: { signal?: AbortSignal } = {}): Promise<PutResult> {
    checkLength(item.key, 32, 'public key');
    checkLength(item.signature, 64, 'signature');
    if (!Number.isSafeInteger(item.seq)) throw new DhtError('invalid_argument', 'seq must be a safe integer');
    if (item.value.length > MAX_VALUE_BYTES)
      throw new DhtError('invalid_argument', `value is ${item.value.length} bytes, at most ${MAX_VALUE_BYTES}`);
    if (item.salt && item.salt.length > MAX_SALT_BYTES)
      throw new DhtError('invalid_argument', `salt is longer than ${MAX_SALT_BYTES} bytes`);
    if (item.cas !== undefined && !Number.isSafeInteger(item.cas)) throw new DhtError('invalid_argument', 'cas must be a safe integer');
    const salt = item.salt && item.salt.length > 0 ? item.salt : undefined;
    if (!verifyMutable(item.key, item.seq, item.value, item.signature, salt)) {
      throw new DhtError('invalid_argument', 'the signature does not verify for this key, seq, value and salt');
    }
    const target = mutableTarget(item.key, salt);
    return this.#put(
      target,
      {
        target,
        v: item.value,
        k: item.key,
        seq: item.seq,
        sig: item.signature,
        salt,
        cas: item.cas,
      },
      opts.signal,
    );
  }

  // -- BEP44 immutable items ----------------------------------------------------------------

  /** The first value whose sha1 matches `target`, or null. */
  async getImmutable(target: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array | null> {
    checkLength(target, 20, 'target');
    let found: Uint8Array | null = null;
    await this.#lookup(
      target,
      'get',
      { id: this.id, target },
      {
        signal: opts.signal,
        onResponse: (body) => {
          if (!body.v || body.k || body.sig) return;
          if (!bytesEq(immutableTarget(body.v), target)) {
            this.#rpc.stats.invalidValues++;
            return;
          }
          found = body.v;
          return false;
        },
      },
    );
    return found;
  }

  async putImmutable(value: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<PutResult> {
    if (value.length > MAX_VALUE_BYTES)
      throw new DhtError('invalid_argument', `value is ${value.length} bytes, at most ${MAX_VALUE_BYTES}`);
    const target = immutableTarget(value);
    return this.#put(target, { target, v: value }, opts.signal);
  }

  // -- BEP5 peers ---------------------------------------------------------------------------

  async getPeers(infoHash: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<NodeAddress[]> {
    checkLength(infoHash, 20, 'info hash');
    const peers = new Map<string, NodeAddress>();
    const res = await this.#lookup(
      infoHash,
      'get_peers',
      { id: this.id, info_hash: infoHash },
      {
        signal: opts.signal,
        onResponse: (body) => {
          for (const p of body.values ?? []) if (p.port > 0) peers.set(`${p.host}:${p.port}`, p);
        },
      },
    );
    this.#cacheLookup(infoHash, res);
    return [...peers.values()];
  }

  /** Announces `port` (or, without it, the sending port: implied_port) for `infoHash`. */
  async announcePeer(infoHash: Uint8Array, port?: number): Promise<PutResult> {
    checkLength(infoHash, 20, 'info hash');
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new DhtError('invalid_argument', 'port must be 1..65535');
    }
    const responders = await this.#respondersFor(infoHash, 'get_peers', { id: this.id, info_hash: infoHash });
    return this.#sendAll(infoHash, responders, 'announce_peer', (token) => ({
      id: this.id,
      info_hash: infoHash,
      token,
      port: port ?? this.#address.port,
      implied_port: port === undefined ? 1 : undefined,
    }));
  }

  // -- lifecycle ----------------------------------------------------------------------------

  get closed(): boolean {
    return this.#closed;
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    if (this.#maintenance) clearInterval(this.#maintenance);
    this.#rpc.close();
    this.#closing = new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // -- internals ----------------------------------------------------------------------------

  #lookup(
    target: Uint8Array,
    method: string,
    args: { [k: string]: BEncodable | undefined },
    extra: { signal?: AbortSignal; onResponse?: (body: ResponseBody, from: NodeInfo) => boolean | void } = {},
  ): Promise<LookupResult> {
    if (this.#closed) throw new DhtError('closed', 'the DHT node is closed');
    return lookup({
      rpc: this.#rpc,
      target,
      method,
      args,
      ownId: this.id,
      ownAddress: this.#address,
      seeds: this.table.closest(target, K),
      bootstrap: this.#bootstrap,
      onAnswered: (n) => this.#learn(n),
      onTimeout: (n) => this.table.failed(n.id),
      ...extra,
    });
  }

  #learn(n: NodeInfo): void {
    this.table.add(n);
  }

  /** Turns a callback-driven lookup into an async generator; stops the lookup when the consumer does. */
  async *#stream<T>(
    outer: AbortSignal | undefined,
    run: (push: (x: T) => void, signal: AbortSignal) => Promise<unknown>,
  ): AsyncGenerator<T> {
    const ac = new AbortController();
    const onOuter = () => ac.abort();
    outer?.addEventListener('abort', onOuter);
    const queue: T[] = [];
    let done = false;
    let failure: unknown;
    let wake: (() => void) | null = null;
    run((x) => {
      queue.push(x);
      wake?.();
    }, ac.signal).then(
      () => {
        done = true;
        wake?.();
      },
      (err) => {
        failure = err;
        done = true;
        wake?.();
      },
    );
    try {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (done) break;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
      if (failure) throw failure;
    } finally {
      outer?.removeEventListener('abort', onOuter);
      ac.abort();
    }
  }

  #checkMutable(
    body: ResponseBody,
    key: Uint8Array,
    salt: Uint8Array | undefined,
    from: NodeInfo,
    verified: Map<string, { seq: number; v: Uint8Array }>,
  ): MutableItem | null {
    if (!body.v || !body.k || !body.sig || body.seq === undefined) return null; // no value / no-more-recent
    // §10.12: the key must be the one asked for (so sha1(k ‖ salt) is the target), and signed.
    const sigHex = hex(body.sig);
    const known = verified.get(sigHex);
    const ok =
      bytesEq(body.k, key) &&
      (known ? known.seq === body.seq && bytesEq(known.v, body.v) : verifyMutable(body.k, body.seq, body.v, body.sig, salt));
    if (!ok) {
      this.#rpc.stats.invalidValues++;
      return null;
    }
    if (!known && verified.size < 64) verified.set(sigHex, { seq: body.seq, v: body.v });
    const item: MutableItem = {
      key: body.k,
      seq: body.seq,
      value: body.v,
      signature: body.sig,
      from: { host: from.host, port: from.port },
    };
    if (salt) item.salt = salt;
    return item;
  }

  #cacheLookup(target: Uint8Array, res: LookupResult): void {
    if (res.stopped || res.responders.length === 0) return;
    const key = hex(target);
    this.#lookupCache.delete(key);
    this.#lookupCache.set(key, { at: Date.now(), responders: res.responders.slice(0, K) });
    while (this.#lookupCache.size > LOOKUP_CACHE_MAX) this.#lookupCache.delete(this.#lookupCache.keys().next().value as string);
  }

  async #respondersFor(
    target: Uint8Array,
    method: string,
    args: { [k: string]: BEncodable | undefined },
    signal?: AbortSignal,
  ): Promise<Responder[]> {
    const cached = this.#lookupCache.get(hex(target));
    if (cached && Date.now() - cached.at < LOOKUP_CACHE_MS) return cached.responders;
    const res = await this.#lookup(target, method, args, { signal });
    this.#cacheLookup(target, res);
    return res.responders.slice(0, K);
  }

  async #put(target: Uint8Array, args: { [k: string]: BEncodable | undefined }, signal?: AbortSignal): Promise<PutResult> {
    const responders = await this.#respondersFor(target, 'get', { id: this.id, target }, signal);
    if (signal?.aborted) throw new DhtError('closed', 'the put was aborted');
    return this.#sendAll(target, responders, 'put', (token) => ({ ...args, id: this.id, token }));
  }

  /** Sends one write to each responder with its token and tallies the answers (§4.5). */
  async #sendAll(
    target: Uint8Array,
    responders: Responder[],
    method: string,
    argsFor: (token: Uint8Array) => { [k: string]: BEncodable | undefined },
  ): Promise<PutResult> {
    if (this.#closed) throw new DhtError('closed', 'the DHT node is closed');
    if (responders.length === 0) {
      throw new DhtError('no_closest_nodes', 'the lookup found no node that handed out a write token');
    }
    const sentTo = responders.length;
    const majority = Math.floor(sentTo / 2) + 1;
    const errors: Record<number, number> = {};
    let storedAt = 0;
    let decided: DhtError | null = null;
    await new Promise<void>((resolve) => {
      let left = sentTo;
      for (const r of responders) {
        this.#rpc.request(r, method, argsFor(r.token)).then((reply) => {
          if (reply.kind === 'response') {
            storedAt++;
          } else if (reply.kind === 'error') {
            errors[reply.code] = (errors[reply.code] ?? 0) + 1;
            if (!decided && (reply.code === 301 || reply.code === 302) && errors[reply.code] >= majority) {
              decided = putError(reply.code, errors[reply.code], sentTo);
              resolve();
            }
          } else {
            // A storing node that stopped answering: drop its cached token.
            this.#lookupCache.delete(hex(target));
          }
          if (--left === 0) resolve();
        });
      }
    });
    if (decided) throw decided;
    if (storedAt === 0) {
      const codes = Object.entries(errors).sort((a, b) => b[1] - a[1]);
      if (codes.length === 0) {
        this.#lookupCache.delete(hex(target));
        throw new DhtError('timeout', `none of the ${sentTo} storing nodes answered in time`);
      }
      const [code, count] = codes[0];
      throw putError(Number(code), count, sentTo);
    }
    return { storedAt, sentTo, target, errors };
  }

  // -- server side --------------------------------------------------------------------------

  #onQuery(msg: Extract<KrpcMessage, { y: 'q' }>, from: NodeAddress): void {
    const q = msg.query;
    // Requesters that are not read-only get a place in the table if their bucket has room.
    if (!msg.ro && !this.table.has(msg.id)) this.#learnRequester(msg.id, from);
    switch (q.method) {
      case 'ping':
        this.#rpc.respond(msg.t, from, { id: this.id });
        return;
      case 'find_node':
        this.#rpc.respond(msg.t, from, { id: this.id, nodes: this.#closestNodes(q.target, from) });
        return;
      case 'get_peers': {
        const peers = this.store
          .getPeers(q.infoHash)
          .map((p) => encodePeer(p))
          .filter((x): x is Uint8Array => x !== null);
        this.#rpc.respond(msg.t, from, {
          id: this.id,
          token: this.tokens.issue(from.host),
          nodes: this.#closestNodes(q.infoHash, from),
          values: peers.length > 0 ? peers : undefined,
        });
        return;
      }
      case 'announce_peer':
        if (!this.tokens.validate(from.host, q.token)) {
          this.#rpc.error(msg.t, from, KRPC_ERRORS.protocol, 'Bad token');
          return;
        }
        this.store.addPeer(q.infoHash, { host: from.host, port: q.impliedPort ? from.port : q.port });
        this.#rpc.respond(msg.t, from, { id: this.id });
        return;
      case 'get':
        this.#rpc.respond(msg.t, from, this.#answerGet(q.target, q.seq, from));
        return;
      case 'put': {
        if (!this.tokens.validate(from.host, q.token)) {
          this.#rpc.error(msg.t, from, KRPC_ERRORS.protocol, 'Bad token');
          return;
        }
        const outcome = this.store.put(q);
        if (outcome.ok) this.#rpc.respond(msg.t, from, { id: this.id });
        else this.#rpc.error(msg.t, from, outcome.code, outcome.message);
        return;
      }
      default:
        this.#rpc.error(msg.t, from, KRPC_ERRORS.methodUnknown, `Method Unknown: ${q.name}`);
    }
  }

  #answerGet(target: Uint8Array, seq: number | undefined, from: NodeAddress): { [k: string]: BEncodable | undefined } {
    const base = { id: this.id, token: this.tokens.issue(from.host), nodes: this.#closestNodes(target, from) };
    const m = this.store.getMutable(target);
    if (seq !== undefined) {
      if (!m) return base;
      if (m.seq <= seq) return { ...base, seq: m.seq };
      return { ...base, v: m.v, k: m.k, sig: m.sig, seq: m.seq };
    }
    const imm = this.store.getImmutable(target);
    if (imm) return { ...base, v: imm };
    if (m) return { ...base, v: m.v, k: m.k, sig: m.sig, seq: m.seq };
    return base;
  }

  #closestNodes(target: Uint8Array, requester: NodeAddress): Uint8Array {
    const nodes = this.table
      .closest(target, K + 1)
      .filter((n) => !(n.host === requester.host && n.port === requester.port))
      .slice(0, K);
    return encodeNodes(nodes);
  }

  #learnRequester(id: Uint8Array, from: NodeAddress): void {
    // Unverified (UDP sources can be forged): only fills free room, never evicts anyone.
    this.table.addIfRoom({ id, ...from });
  }

  async #maintain(): Promise<void> {
    if (this.#closed) return;
    try {
      const now = Date.now();
      if (this.#bootstrap.length > 0 && (this.table.size === 0 || now - this.#lastRefresh > REFRESH_MS)) {
        await this.bootstrap();
      }
      for (const n of this.table.stale(PING_STALE_MS).slice(0, 16)) {
        if (this.#closed) return;
        const r = await this.#rpc.request(n, 'ping', { id: this.id });
        if (r.kind === 'response') this.table.add({ id: r.body.id, host: n.host, port: n.port });
        else this.table.failed(n.id);
      }
    } catch {
      // a closed socket mid-maintenance: nothing to do
    }
  }
}

/** Turns an empty lookup's counters into pkarr's outcome errors (spec §4.4, §4.6). */
function unreachableError(c: LookupCounters, usable: number): void {
  if (c.queried === 0) throw new DhtError('no_nodes_queried', 'no DHT node was queried (empty routing table and no bootstrap)');
  if (c.responded === 0) throw new DhtError('no_nodes_responded', `none of the ${c.queried} queried DHT nodes responded`);
  if (usable === 0) throw new DhtError('no_usable_responses', `none of the ${c.responded} responding DHT nodes returned a usable answer`);
}

function putError(code: number, count: number, sentTo: number): DhtError {
  if (code === 302) return new DhtError('not_most_recent', `${count} of ${sentTo} nodes hold a more recent item (302)`, { krpcCode: code });
  if (code === 301) return new DhtError('cas_failed', `${count} of ${sentTo} nodes refused the CAS (301)`, { krpcCode: code });
  return new DhtError('put_rejected', `${count} of ${sentTo} nodes refused the put with KRPC error ${code}`, { krpcCode: code });
}

function checkLength(b: Uint8Array, len: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== len) throw new DhtError('invalid_argument', `${what} must be ${len} bytes`);
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function bind(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4' });
    const onError = (err: Error) => {
      socket.close();
      reject(new DhtError('bind_failed', `cannot bind UDP ${host}:${port}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

async function resolveBootstrap(entries: string[]): Promise<NodeAddress[]> {
  const out: NodeAddress[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      const i = entry.lastIndexOf(':');
      const host = i > 0 ? entry.slice(0, i) : '';
      const port = Number(entry.slice(i + 1));
      if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw new DhtError('invalid_argument', `bootstrap entry "${entry}" is not host:port`);
      }
      if (isIP(host) === 4) {
        out.push({ host, port });
        return;
      }
      try {
        const { address } = await dnsLookup(host, { family: 4 });
        out.push({ host: address, port });
      } catch {
        // An unresolvable default bootstrap host is skipped; the others may do.
      }
    }),
  );
  return out;
}

export type { LookupCounters };
