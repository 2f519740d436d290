// Iterative lookup as mainline 7 runs it: every round queries all not-yet-visited nodes among the
// K closest known candidates (no α limit); answers add candidates; the lookup ends when nothing
// is in flight. Each answer is handed to `onResponse` as it arrives, so values stream.
import type { BEncodable } from './bencode.ts';
import type { NodeAddress, NodeInfo, ResponseBody } from './krpc.ts';
import { compareDistance } from './node-id.ts';
import { K } from './routing-table.ts';
import type { Reply, Rpc } from './rpc.ts';

export interface LookupCounters {
  queried: number;
  responded: number;
  timeouts: number;
  krpcErrors: number;
}

export interface Responder extends NodeInfo {
  token: Uint8Array;
}

export interface LookupResult {
  counters: LookupCounters;
  /** Nodes that answered with a write token, closest to the target first. */
  responders: Responder[];
  /** Nodes that answered, closest first. */
  closest: NodeInfo[];
  /** True if the caller stopped it (abort or onResponse returned false). */
  stopped: boolean;
}

export interface LookupParams {
  rpc: Rpc;
  target: Uint8Array;
  method: string;
  args: { [k: string]: BEncodable | undefined };
  ownId: Uint8Array;
  ownAddress: NodeAddress;
  seeds: NodeInfo[];
  /** Addresses queried directly when the routing table has fewer nodes than this list. */
  bootstrap: NodeAddress[];
  /** Returning false stops the lookup. */
  onResponse?: (body: ResponseBody, from: NodeInfo) => boolean | void;
  onAnswered?: (node: NodeInfo) => void;
  onTimeout?: (node: NodeInfo) => void;
  signal?: AbortSignal;
}

interface Candidate {
  id?: Uint8Array;
  host: string;
  port: number;
  state: 'new' | 'inflight' | 'answered' | 'failed';
}

export function lookup(p: LookupParams): Promise<LookupResult> {
  const counters: LookupCounters = { queried: 0, responded: 0, timeouts: 0, krpcErrors: 0 };
  const byAddr = new Map<string, Candidate>();
  const responders: Responder[] = [];
  const answered: NodeInfo[] = [];
  let inflight = 0;
  let stopped = false;
  let finished = false;
  const ownKey = `${p.ownAddress.host}:${p.ownAddress.port}`;

  return new Promise<LookupResult>((resolve) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      p.signal?.removeEventListener('abort', onAbort);
      const cmp = (a: NodeInfo, b: NodeInfo) => compareDistance(p.target, a.id, b.id);
      responders.sort(cmp);
      answered.sort(cmp);
      resolve({ counters, responders, closest: answered.slice(0, K), stopped });
    };
    const onAbort = () => {
      stopped = true;
      finish();
    };
    if (p.signal?.aborted) {
      stopped = true;
      finish();
      return;
    }
    p.signal?.addEventListener('abort', onAbort);

    const addCandidate = (n: { id?: Uint8Array; host: string; port: number }) => {
      const key = `${n.host}:${n.port}`;
      if (key === ownKey || (p.ownAddress.host === '0.0.0.0' && n.port === p.ownAddress.port && isLoopback(n.host))) return;
      if (n.id && equal(n.id, p.ownId)) return;
      const existing = byAddr.get(key);
      if (existing) {
        if (!existing.id && n.id) existing.id = n.id;
        return;
      }
      byAddr.set(key, { id: n.id, host: n.host, port: n.port, state: 'new' });
    };

    const query = (c: Candidate) => {
      c.state = 'inflight';
      inflight++;
      counters.queried++;
      p.rpc.request({ host: c.host, port: c.port }, p.method, p.args).then(
        (reply) => onReply(c, reply),
        () => onReply(c, { kind: 'timeout', from: c }),
      );
    };

    const onReply = (c: Candidate, reply: Reply) => {
      inflight--;
      if (finished) return;
      if (reply.kind === 'response') {
        c.state = 'answered';
        c.id = reply.body.id;
        counters.responded++;
        const node: NodeInfo = { id: reply.body.id, host: c.host, port: c.port };
        answered.push(node);
        p.onAnswered?.(node);
        if (reply.body.token) responders.push({ ...node, token: reply.body.token });
        for (const n of reply.body.nodes ?? []) addCandidate(n);
        if (p.onResponse && p.onResponse(reply.body, node) === false) {
          stopped = true;
          finish();
          return;
        }
      } else {
        c.state = 'failed';
        if (reply.kind === 'timeout') {
          counters.timeouts++;
          if (c.id) p.onTimeout?.({ id: c.id, host: c.host, port: c.port });
        } else {
          counters.krpcErrors++;
        }
      }
      step();
    };

    const step = () => {
      if (finished) return;
      const known = [...byAddr.values()].filter((c) => c.id && c.state !== 'failed');
      known.sort((a, b) => compareDistance(p.target, a.id!, b.id!));
      for (const c of known.slice(0, K)) if (c.state === 'new') query(c);
      if (inflight === 0) finish();
    };

    for (const s of p.seeds) addCandidate(s);
    if (p.seeds.length < p.bootstrap.length) {
      for (const b of p.bootstrap) {
        addCandidate(b);
        const c = byAddr.get(`${b.host}:${b.port}`);
        if (c && c.state === 'new' && !c.id) query(c);
      }
    }
    step();
  });
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.');
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
