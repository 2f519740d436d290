/**
 * Dead properties (RFC 4918 §4, PROPPATCH): arbitrary XML elements a client stores on a file or a
 * collection, kept by this process, keyed by user and path (collections end with `/`). They follow
 * COPY and MOVE and go with DELETE. Not persisted: a restart or another instance forgets them (what
 * clients store here is metadata such as Windows' timestamps, which they rewrite).
 */
export class DeadProperties {
  private readonly byResource = new Map<string, Map<string, string>>();
  /** Cap on stored resources, so a client cannot grow the process without bound. */
  static readonly MAX_RESOURCES = 100_000;
  static readonly MAX_PER_RESOURCE = 200;
  static readonly MAX_VALUE_BYTES = 16 * 1024;

  private static key(user: string, path: string): string {
    return `${user}${path}`;
  }

  get(user: string, path: string): ReadonlyMap<string, string> | undefined {
    return this.byResource.get(DeadProperties.key(user, path));
  }

  /** Applies set (xml) / remove (null) operations all at once. Returns false when a cap would be exceeded. */
  apply(user: string, path: string, ops: [key: string, xml: string | null][]): boolean {
    const k = DeadProperties.key(user, path);
    const current = new Map(this.byResource.get(k) ?? []);
    for (const [name, xml] of ops) {
      if (xml === null) current.delete(name);
      else current.set(name, xml);
    }
    if (current.size > DeadProperties.MAX_PER_RESOURCE) return false;
    if ([...current.values()].some((v) => v.length > DeadProperties.MAX_VALUE_BYTES)) return false;
    if (current.size === 0) this.byResource.delete(k);
    else {
      if (!this.byResource.has(k) && this.byResource.size >= DeadProperties.MAX_RESOURCES) return false;
      this.byResource.set(k, current);
    }
    return true;
  }

  /** Forgets `path` and, for a collection, everything under it. */
  drop(user: string, path: string): void {
    const k = DeadProperties.key(user, path);
    for (const key of [...this.byResource.keys()]) if (key === k || (path.endsWith('/') && key.startsWith(k))) this.byResource.delete(key);
  }

  /** Copies the properties of `from` (and, for a `deep` copy of a collection, of everything under it) to `to`. */
  copy(user: string, from: string, toUser: string, to: string, deep = true): void {
    const k = DeadProperties.key(user, from);
    for (const [key, props] of [...this.byResource]) {
      if (key === k || (deep && from.endsWith('/') && key.startsWith(k))) {
        if (this.byResource.size >= DeadProperties.MAX_RESOURCES) return;
        this.byResource.set(DeadProperties.key(toUser, to + key.slice(k.length)), new Map(props));
      }
    }
  }
}
