// Which homeserver a user lives on, from their PKARR record, cached. Events for a user from a
// homeserver that is not their record's (a mirror, or the old home after a migration) are not theirs
// to apply: after a migration the new homeserver's events bring the same rows again, and rows are
// keyed by (user, id), so nothing doubles.
import type { Pubky } from '@pubky-ts/client';

export class UserHomes {
  private readonly cache = new Map<string, { home: string | null; until: number }>();
  private readonly pubky: Pubky;
  private readonly ttlMs: number;

  constructor(pubky: Pubky, ttlMs = 60_000) {
    this.pubky = pubky;
    this.ttlMs = ttlMs;
  }

  /** The user's homeserver, or null when unknown (no record, or PKARR unreachable: then any source is accepted). */
  async homeOf(user: string): Promise<string | null> {
    const hit = this.cache.get(user);
    if (hit && hit.until > Date.now()) return hit.home;
    let home: string | null = null;
    try {
      home = (await this.pubky.getHomeserverOf(user, { signal: AbortSignal.timeout(5000) }))?.z32 ?? null;
    } catch {
      home = null;
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(user, { home, until: Date.now() + (home ? this.ttlMs : 5000) });
    return home;
  }

  forget(user: string): void {
    this.cache.delete(user);
  }
}
