import { parseStrictStoragePath } from '@pubky-ts/common';
import type { HttpDeps } from '../../http/context.ts';
import type { HttpApp } from '../../http/core/http-app.ts';
import type { HttpReply } from '../../http/core/http-reply.ts';
import type { HttpRequest } from '../../http/core/http-request.ts';
import { httpError } from '../../http/errors.ts';
import { percentDecode, splitUrl } from '../../http/url.ts';
import { userParam } from '../admin-request.ts';

/** The file path after `/webdav/{z32}`, as a strict storage path of a file. */
function filePath(request: HttpRequest): string {
  const rawPath = splitUrl(request.url).path;
  const decoded = percentDecode(rawPath.slice(rawPath.indexOf('/pub/')));
  try {
    if (decoded === null) throw new Error('path is not valid UTF-8');
    const sp = parseStrictStoragePath(decoded);
    if (sp.isDirectory) throw new Error('target path must be a file');
    return sp.path;
  } catch (e) {
    throw httpError('INVALID_URL', (e as Error).message);
  }
}

/** `DELETE /webdav/{z32}/pub/{path}` (the reference's moderation route): deletes one public file. */
export function registerAdminFileRoutes(app: HttpApp, deps: HttpDeps): void {
  async function deleteFile(request: HttpRequest, reply: HttpReply): Promise<void> {
    const z32 = userParam(request);
    await deps.store.files.delete(z32, filePath(request), { admin: true });
    reply.code(204).send();
  }

  app.delete('/webdav/:z32/pub/*', deleteFile);
}
