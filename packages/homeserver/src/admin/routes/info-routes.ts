import type { HttpDeps } from '../../http/context.ts';
import type { HttpApp } from '../../http/core/http-app.ts';
import type { HttpReply } from '../../http/core/http-reply.ts';
import type { HttpRequest } from '../../http/core/http-request.ts';

export const PACKAGE_VERSION = '0.1.0';

/** Where the server says it can be reached (its PKARR record's addresses). */
export type PublicInfo = () => { pubkyAddress: string; icannDomain: string };

/** `GET /` (no password) and `GET /info`: counts, key, published addresses, version. */
export function registerInfoRoutes(app: HttpApp, deps: HttpDeps, publicInfo: PublicInfo): void {
  const { store } = deps;

  function root(_request: HttpRequest, reply: HttpReply): void {
    reply.type('text/plain; charset=utf-8').send('Homeserver - Admin Endpoint');
  }

  async function info(_request: HttpRequest, reply: HttpReply): Promise<void> {
    const [users, tokens] = await Promise.all([store.users.stats(), store.signupTokens.stats()]);
    const pub = publicInfo();
    reply.type('application/json').send(
      JSON.stringify({
        num_users: users.numUsers,
        num_disabled_users: users.numDisabledUsers,
        total_disk_used_mb: users.totalUsedBytes / 1048576,
        num_signup_codes: tokens.total,
        num_unused_signup_codes: tokens.unused,
        public_key: deps.keypair.publicKey.z32,
        pkarr_pubky_address: pub.pubkyAddress,
        pkarr_icann_domain: pub.icannDomain,
        version: PACKAGE_VERSION,
      }),
    );
  }

  app.get('/', root);
  app.get('/info', info);
}
