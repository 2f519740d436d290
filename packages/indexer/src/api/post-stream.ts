// `GET /v0/stream/posts`: new posts as Server-Sent Events, pushed after the transaction that
// indexed them commits. A client that cannot keep up (more than 1 MiB unsent) is dropped rather
// than buffered without bound.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PostView } from '../store/index-reader.ts';

const MAX_BUFFERED = 1024 * 1024;

export class PostStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly keepAlive: NodeJS.Timeout;

  constructor(keepAliveMs = 15_000) {
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
    this.keepAlive.unref();
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  publish(posts: PostView[]): void {
    for (const p of posts) this.write(`event: post\nid: ${p.author}:${p.id}\ndata: ${JSON.stringify(p)}\n\n`);
  }

  get size(): number {
    return this.clients.size;
  }

  private write(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
