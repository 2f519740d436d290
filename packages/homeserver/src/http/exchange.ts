import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { AuthSession } from '../auth/session.ts';
import type { PrivacyPolicy } from './context.ts';
import type { RequestTarget } from './tenant.ts';

/**
 * The parts of a request the client app's hooks and storage handlers use. Fastify's request
 * satisfies it, and so does the raw fast path's (`fast-storage.ts`), so both run the same code.
 */
export interface RequestLike {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
  readonly socket: Socket;
  target: RequestTarget;
  rawPath: string;
  rawQuery: string;
  privacy: PrivacyPolicy;
  /** Memoised session lookup (undefined = not looked up yet). */
  sessionPromise: Promise<AuthSession | null> | undefined;
}

/** The parts of a reply the hooks, handlers and error answers use (fastify's semantics). */
export interface ReplyLike {
  readonly statusCode: number;
  header(key: string, value: any): ReplyLike;
  getHeader(key: string): unknown;
  removeHeader(key: string): ReplyLike;
  code(statusCode: number): ReplyLike;
  type(contentType: string): ReplyLike;
  send(payload?: any): ReplyLike;
}
