import type { HttpDeps } from '../../http/context.ts';
import type { HttpApp } from '../../http/core/http-app.ts';
import type { HttpReply } from '../../http/core/http-reply.ts';
import type { HttpRequest } from '../../http/core/http-request.ts';
import { httpError } from '../../http/errors.ts';
import { defaultQuotaMb } from '../../config/config.ts';
import { FILE_OVERHEAD_BYTES, storageLimitBytes } from '../../storage/quota.ts';
import type { FileStore, UserRecord } from '../../storage/types.ts';
import { readJson, userParam } from '../admin-request.ts';
import { effectiveQuotaJson, parseUserQuotaJson, userQuotaToJson } from '../user-quota-json.ts';

/** How many files the user stores, by paging the listings of `/pub/` and `/priv/`. */
async function countFiles(files: FileStore, z32: string): Promise<number> {
  let count = 0;
  for (const root of ['/pub/', '/priv/']) {
    let cursor: string | null = null;
    for (;;) {
      const page: string[] | null = await files.list(z32, root, { limit: 1000, cursor });
      if (!page || page.length === 0) break;
      count += page.length;
      cursor = page[page.length - 1]!;
    }
  }
  return count;
}

const isoFromMicros = (v: number | null): string | null => (v === null ? null : new Date(v / 1000).toISOString());

/**
 * One user's account: `POST /users/{z32}/disable|enable`, `GET|PATCH /users/{z32}/quota`, and,
 * beyond the reference, `GET /users/{z32}/usage`, `GET /users/{z32}/pkarr`, `DELETE /users/{z32}`.
 */
export function registerUserRoutes(app: HttpApp, deps: HttpDeps): void {
  const { store } = deps;
  const defaultMb = defaultQuotaMb(deps.config);

  async function existing(request: HttpRequest): Promise<UserRecord> {
    const user = await store.users.get(userParam(request));
    if (!user) throw httpError('USER_NOT_FOUND');
    return user;
  }

  const setDisabled = (disabled: boolean) =>
    async function setDisabledRoute(request: HttpRequest, reply: HttpReply): Promise<void> {
      if (!(await store.users.setDisabled(userParam(request), disabled))) throw httpError('USER_NOT_FOUND');
      reply.type('text/plain; charset=utf-8').send('Ok');
    };

  const quotaJson = (user: UserRecord): string =>
    JSON.stringify({ effective: effectiveQuotaJson(user, defaultMb, deps.config.defaultQuotas), overrides: userQuotaToJson(user) });

  async function getQuota(request: HttpRequest, reply: HttpReply): Promise<void> {
    reply.type('application/json').send(quotaJson(await existing(request)));
  }

  async function patchQuota(request: HttpRequest, reply: HttpReply): Promise<void> {
    const z32 = userParam(request);
    const patch = parseUserQuotaJson(await readJson(request, deps), true);
    const user = await store.users.setQuota(z32, patch);
    if (!user) throw httpError('USER_NOT_FOUND');
    reply.type('application/json').send(quotaJson(user));
  }

  async function usage(request: HttpRequest, reply: HttpReply): Promise<void> {
    const user = await existing(request);
    const files = await countFiles(store.files, user.publicKey);
    reply.type('application/json').send(
      JSON.stringify({
        used_bytes: user.usedBytes,
        content_bytes: Math.max(0, user.usedBytes - files * FILE_OVERHEAD_BYTES),
        files,
        quota_bytes: storageLimitBytes(user, defaultMb),
        disabled: user.disabled,
      }),
    );
  }

  /** PKARR custody: the user's newest signed packet this server holds, and how the last republish went. */
  async function pkarr(request: HttpRequest, reply: HttpReply): Promise<void> {
    const user = await existing(request);
    const rec = await store.packets.get(user.publicKey);
    reply.type('application/json').send(
      JSON.stringify(
        rec
          ? {
              held: true,
              packet_timestamp: isoFromMicros(rec.timestamp),
              packet_bytes: rec.packet.length,
              last_checked_at: isoFromMicros(rec.lastCheckedAt),
              visible_on_network: rec.visibleDht,
              last_published_at: isoFromMicros(rec.lastPublishedAt),
              last_stored_on_nodes: rec.lastStoredAt,
              last_error: rec.lastError,
            }
          : { held: false },
      ),
    );
  }

  async function deleteUser(request: HttpRequest, reply: HttpReply): Promise<void> {
    const z32 = userParam(request);
    if (!(await store.users.delete(z32))) throw httpError('USER_NOT_FOUND');
    deps.log.info({ user: z32 }, 'account deleted by admin');
    reply.code(204).send();
  }

  app.post('/users/:z32/disable', setDisabled(true));
  app.post('/users/:z32/enable', setDisabled(false));
  app.get('/users/:z32/quota', getQuota);
  app.patch('/users/:z32/quota', patchQuota);
  app.get('/users/:z32/usage', usage);
  app.get('/users/:z32/pkarr', pkarr);
  app.delete('/users/:z32', deleteUser);
}
