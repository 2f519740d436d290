// A small pkarr relay on node:http for tests: it speaks the relay API of spec §6 closely enough
// to exercise the client, and lets a test script odd answers. Not the real relay (packages/relay).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublicKey } from '@pubky-ts/common';
import { SignedPacket } from '../src/signed-packet.ts';
import { formatHttpDate, parseHttpDate } from '../src/http-date.ts';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Return true when the override answered the request itself. */
export type Override = (req: SeenRequest, res: ServerResponse) => boolean | Promise<boolean>;

export class FakeRelay {
  readonly packets = new Map<string, SignedPacket>();
  readonly requests: SeenRequest[] = [];
  storedNodes: string | null = '8';
  override: Override | null = null;
  private server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        this.requests.push(seen);
        void this.handle(seen, res).catch((e) => {
          if (!res.headersSent) res.writeHead(500).end(String(e));
        });
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: SeenRequest, res: ServerResponse): Promise<void> {
    if (this.override && (await this.override(req, res))) return;
    const url = new URL(req.url, 'http://x');
    const key = PublicKey.tryParse(url.pathname.split('/').pop() ?? '');
    if (!key) return void res.writeHead(400).end('invalid key');
    if (req.method === 'GET') {
      const policy = url.searchParams.get('policy') ?? 'CacheFirst';
      if (!['CacheOnly', 'CacheFirst', 'NetworkOnly'].includes(policy)) return void res.writeHead(400).end('bad policy');
      const packet = this.packets.get(key.z32);
      if (!packet) return void res.writeHead(404).end();
      const ims = parseHttpDate(req.headers['if-modified-since'] as string | undefined);
      if (ims !== null && packet.timestamp <= ims) return void res.writeHead(304).end();
      const body = packet.toRelayPayload();
      res.writeHead(200, {
        'content-type': 'application/pkarr.org/relays#payload',
        'cache-control': `public, max-age=${packet.ttl()}`,
        'last-modified': formatHttpDate(packet.timestamp),
        'memento-datetime': formatHttpDate(packet.lastSeen),
        'content-length': body.length,
      });
      return void res.end(body);
    }
    if (req.method === 'PUT') {
      if (req.body.length > 1104) return void res.writeHead(413).end('too large');
      let packet: SignedPacket;
      try {
        packet = SignedPacket.fromRelayPayload(key, new Uint8Array(req.body));
      } catch (e) {
        return void res.writeHead(400).end(String((e as Error).message));
      }
      const current = this.packets.get(key.z32);
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined && current && String(current.timestamp) !== ifMatch) return void res.writeHead(412).end('cas');
      if (current && current.moreRecentThan(packet)) return void res.writeHead(409).end('older');
      this.packets.set(key.z32, packet);
      const headers: Record<string, string> = {};
      if (this.storedNodes !== null) headers['pkarr-dht-stored-nodes'] = this.storedNodes;
      return void res.writeHead(204, headers).end();
    }
    res.writeHead(405).end();
  }
}
