// A local network of our nodes on 127.0.0.1 for tests, benchmarks and the testnet.
import { DhtNode, type DhtNodeOptions } from './node.ts';

export interface LocalSwarm extends AsyncDisposable {
  nodes: DhtNode[];
  /** "127.0.0.1:<port>" of every node (seeded) or of node 0 (joined). */
  bootstrap: string[];
  close(): Promise<void>;
}

export interface LocalSwarmOptions extends Omit<DhtNodeOptions, 'bootstrap' | 'host' | 'port'> {
  /**
   * true (default, like mainline's Testnet): every routing table is pre-filled with all other
   * nodes. false: node 0 starts alone and the others join through it with find_node(own id).
   */
  seeded?: boolean;
  host?: string;
}

export async function startLocalSwarm(n: number, opts: LocalSwarmOptions = {}): Promise<LocalSwarm> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('a swarm needs at least one node');
  const { seeded = true, host = '127.0.0.1', ...nodeOpts } = opts;
  const nodes: DhtNode[] = [];
  const close = async () => {
    await Promise.all(nodes.map((x) => x.close()));
  };
  try {
    const first = await DhtNode.start({ ...nodeOpts, host, port: 0, bootstrap: [], serverMode: nodeOpts.serverMode ?? true });
    nodes.push(first);
    if (seeded) {
      const rest = await Promise.all(
        Array.from({ length: n - 1 }, () =>
          DhtNode.start({ ...nodeOpts, host, port: 0, bootstrap: [], serverMode: nodeOpts.serverMode ?? true }),
        ),
      );
      nodes.push(...rest);
      for (const a of nodes) for (const b of nodes) if (a !== b) a.addNode({ id: b.id, ...b.address() });
    } else {
      const entry = [first.bootstrapEntry()];
      // Join in small batches so each newcomer finds the ones before it.
      for (let i = 1; i < n; i += 8) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(8, n - i) }, () =>
            DhtNode.start({ ...nodeOpts, host, port: 0, bootstrap: entry, serverMode: nodeOpts.serverMode ?? true }),
          ),
        );
        nodes.push(...batch);
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  const bootstrap = seeded ? nodes.map((x) => x.bootstrapEntry()) : [nodes[0].bootstrapEntry()];
  return { nodes, bootstrap, close, [Symbol.asyncDispose]: close };
}
