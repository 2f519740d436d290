import { PublicKey } from '@pubky-ts/common';
import type { HttpDeps } from '../http/context.ts';
import type { HttpRequest } from '../http/core/http-request.ts';
import { httpError } from '../http/errors.ts';
import { readSmallBody } from '../http/routes/session-routes.ts';

/** The `:z32` path parameter as a public key (400 INVALID_PUBLIC_KEY otherwise). */
export function userParam(request: HttpRequest): string {
  const raw = (request.params as { z32: string }).z32;
  try {
    return PublicKey.parseZ32(raw).z32;
  } catch {
    throw httpError('INVALID_PUBLIC_KEY', raw);
  }
}

/** A small JSON body; an empty body is `{}`. */
export async function readJson(request: HttpRequest, deps: HttpDeps): Promise<unknown> {
  const body = await readSmallBody(request, deps);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw httpError('INVALID_JSON_SYNTAX', (e as Error).message);
  }
}
