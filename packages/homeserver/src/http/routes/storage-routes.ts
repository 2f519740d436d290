import type { HttpDeps } from '../context.ts';
import type { HttpApp } from '../core/http-app.ts';
import { httpError } from '../errors.ts';
import { StorageReads } from './storage-read.ts';
import { StorageRequests } from './storage-request.ts';
import { StorageWrites } from './storage-write.ts';

const methodNotAllowed = async (): Promise<void> => {
  throw httpError('METHOD_NOT_ALLOWED');
};

/** Storage routes: GET, HEAD, PUT, DELETE of any path, 405 for the other methods with a body. */
export function registerStorageRoutes(app: HttpApp, deps: HttpDeps): void {
  const requests = new StorageRequests(deps);
  const reads = new StorageReads(requests, deps.store.files);
  const writes = new StorageWrites(requests, deps);
  app.route({ method: ['GET', 'HEAD'], url: '/*', handler: (request, reply) => reads.read(request, reply) });
  app.put('/*', (request, reply) => writes.put(request, reply));
  app.delete('/*', (request, reply) => writes.delete(request, reply));
  app.route({ method: ['POST', 'PATCH', 'OPTIONS'], url: '/*', handler: methodNotAllowed });
}
