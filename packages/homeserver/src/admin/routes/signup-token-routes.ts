import type { HttpDeps } from '../../http/context.ts';
import type { HttpApp } from '../../http/core/http-app.ts';
import type { HttpReply } from '../../http/core/http-reply.ts';
import type { HttpRequest } from '../../http/core/http-request.ts';
import { httpError } from '../../http/errors.ts';
import { parseQueryOr400 } from '../../http/query.ts';
import { isoMicros } from '../../http/routes/session-routes.ts';
import { queryGet, splitUrl } from '../../http/url.ts';
import type { SignupTokenState } from '../../storage/types.ts';
import { readJson } from '../admin-request.ts';
import { parseUserQuotaJson } from '../user-quota-json.ts';

/** `limit` of the token listing: 1..1000 (more is cut to 1000), default 100. */
function listLimit(raw: string | undefined): number {
  if (raw === undefined) return 100;
  if (!/^\d{1,9}$/.test(raw)) throw httpError('INVALID_LIMIT', `Invalid limit: ${raw}`);
  const limit = Number(raw);
  if (limit === 0) throw httpError('INVALID_LIMIT', 'limit must be at least 1');
  return Math.min(limit, 1000);
}

/** Signup tokens: `GET|POST /generate_signup_token` (POST with the new user's quota) and `GET /signup_tokens`. */
export function registerSignupTokenRoutes(app: HttpApp, deps: HttpDeps): void {
  const { store } = deps;

  async function generate(_request: HttpRequest, reply: HttpReply): Promise<void> {
    reply.type('text/plain; charset=utf-8').send(await store.signupTokens.create());
  }

  async function generateWithQuota(request: HttpRequest, reply: HttpReply): Promise<void> {
    const quota = parseUserQuotaJson(await readJson(request, deps), false);
    reply.type('text/plain; charset=utf-8').send(await store.signupTokens.create(quota));
  }

  async function list(request: HttpRequest, reply: HttpReply): Promise<void> {
    const q = parseQueryOr400(splitUrl(request.url).query);
    const limit = listLimit(queryGet(q, 'limit'));
    const state = (queryGet(q, 'state') ?? 'all') as SignupTokenState;
    if (!['all', 'used', 'unused'].includes(state)) throw httpError('INVALID_STATE');
    const cursor = queryGet(q, 'cursor') || null;
    const page = await store.signupTokens.list({ limit, cursor, state });
    reply.type('application/json').send(
      JSON.stringify({
        items: page.items.map((t) => ({
          token: t.token,
          created_at: isoMicros(t.createdAt),
          used_at: t.usedAt === null ? null : isoMicros(t.usedAt),
          used_by: t.usedBy,
        })),
        next_cursor: page.nextCursor,
      }),
    );
  }

  app.get('/generate_signup_token', generate);
  app.post('/generate_signup_token', generateWithQuota);
  app.get('/signup_tokens', list);
}
