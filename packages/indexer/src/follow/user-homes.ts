// Which homeserver a user lives on, from their PKARR record, cached. Events for a user from a
// homeserver that is not their record's (a mirror, or the old home after a migration) are not theirs
// to apply: after a migration the new homeserver's events bring the same rows again, and rows are
// keyed by (user, id), so nothing doubles.
import { PublicKey } from '@pubky-ts/common';
import { homeserverFromPacket, type Pubky } from '@pubky-ts/client';

export class UserHomes {
  private readonly cache = new Map<string, { home: string | null; until: number }>();
  private readonly pubky: Pubky;
  private readonly ttlMs: number;

  constructor(pubky: Pubky, ttlMs = 60_000) {
    this.pubky = pubky;
    this.ttlMs = ttlMs;
  }

  /**
   * The user's homeserver, or null when unknown (no record, or PKARR unreachable: then any source is
   * accepted). `seenOn`: the homeserver whose events are being applied; a cached answer that names
   * another one is checked again, past every cache, since the user may have just moved there: a stale
   * answer would skip the new home's events for good. (Costs one lookup per page per user for the
   * events of a mirror or an old home.)
   */
  async homeOf(user: string, seenOn?: string): Promise<string | null> {
    const hit = this.cache.get(user);
    if (hit && hit.until > Date.now() && (seenOn === undefined || hit.home === null || hit.home === seenOn)) return hit.home;
    let home: string | null = null;
    try {
      const key = PublicKey.parse(user);
      const signal = AbortSignal.timeout(5000);
      if (hit) {
        // A re-check must get past the SDK's and the PKARR client's caches (minutes long).
        const packet = await this.pubky.pkdns.source.resolve(key, { fresh: true, signal });
        const hs = packet ? homeserverFromPacket(packet) : null;
        if (hs) this.pubky.pkdns.rememberHomeserver(key, hs);
        home = hs?.z32 ?? null;
      } else {
        home = (await this.pubky.getHomeserverOf(key, { signal }))?.z32 ?? null;
      }
    } catch {
      home = null;
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(user, { home, until: Date.now() + (home ? this.ttlMs : 5000) });
    return home;
  }

  /** The user's mirror homeservers from their record (the SDK caches them). Empty when unknown. */
  async mirrorsOf(user: string): Promise<string[]> {
    try {
      return (await this.pubky.getMirrorsOf(user, { signal: AbortSignal.timeout(5000) })).map((k) => k.z32);
    } catch {
      return [];
    }
  }
}
