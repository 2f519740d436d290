import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { AuthSession } from '../../auth/session.ts';
import type { RequestTarget } from '../tenant.ts';

/** How the cache-policy hook must rewrite the response (delta §5). */
export type PrivacyPolicy = 'none' | 'legacy-private' | 'path-private' | 'events-stream';

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * One request as the homeserver's handlers see it: the raw message, the router's path parameters,
 * and what the client app's onRequest step worked out (tenant, target, cache policy, session).
 * A plain class with every field set in the constructor, so all requests share one shape.
 */
export class HttpRequest {
  params: Readonly<Record<string, string>> = NO_PARAMS;
  /** The client app's addressing of this request (set by its onRequest step). */
  target: RequestTarget = null as never;
  rawPath = '';
  rawQuery = '';
  privacy: PrivacyPolicy = 'none';
  /** Memoised session lookup (undefined = not looked up yet). */
  sessionPromise: Promise<AuthSession | null> | undefined = undefined;

  constructor(readonly raw: IncomingMessage) {}

  get method(): string {
    return this.raw.method as string;
  }

  get headers(): IncomingHttpHeaders {
    return this.raw.headers;
  }

  get socket(): Socket {
    return this.raw.socket;
  }

  get url(): string {
    return this.raw.url as string;
  }
}
