import type { HttpApp } from '../core/http-app.ts';
import type { HttpReply } from '../core/http-reply.ts';
import type { HttpRequest } from '../core/http-request.ts';

const INFO = JSON.stringify({ features: ['path-addressed-storage', 'conditional-writes'] });

function getRoot(_request: HttpRequest, reply: HttpReply): void {
  reply.type('text/plain; charset=utf-8').send('Pubky Homeserver');
}

function headRoot(_request: HttpRequest, reply: HttpReply): void {
  reply.type('text/plain; charset=utf-8').send();
}

/** `/info`: the features this server offers beyond the reference (no caching: they change with upgrades). */
function info(request: HttpRequest, reply: HttpReply): void {
  reply
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(request.method === 'GET' ? INFO : undefined);
}

/** `GET|HEAD /` and `GET|HEAD /info`. */
export function registerRootRoutes(app: HttpApp): void {
  app.get('/', getRoot);
  app.head('/', headRoot);
  app.route({ method: ['GET', 'HEAD'], url: '/info', handler: info });
}
