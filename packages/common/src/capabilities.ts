import { type PubkyError, commonError } from './errors.ts';
import { parseStrictStoragePath } from './storage-path.ts';

export type Action = 'r' | 'w';

/** One capability: a scope (a file, or a directory ending in `/`) and the actions allowed on it. */
export class Capability {
  constructor(
    readonly scope: string,
    readonly read: boolean,
    readonly write: boolean,
  ) {}

  /** Parses `<scope>:<actions>` strictly (spec homeserver-delta §6). */
  static parse(input: string): Capability {
    const colon = input.indexOf(':');
    if (colon < 0) throw invalid(input, 'expected <scope>:<actions>');
    const scope = input.slice(0, colon);
    const actions = input.slice(colon + 1);
    if (actions.includes(':')) throw invalid(input, 'more than one ":"');
    if (actions.length === 0) throw invalid(input, 'no actions');
    let read = false;
    let write = false;
    for (const a of actions) {
      if (a === 'r') read = true;
      else if (a === 'w') write = true;
      else throw invalid(input, `unknown action ${JSON.stringify(a)}; actions are r and w`);
    }
    if (scope.includes(',')) throw invalid(input, 'a scope cannot contain ","');
    try {
      parseStrictStoragePath(scope);
    } catch (e) {
      throw invalid(input, `scope is not a canonical path: ${(e as Error).message}`);
    }
    return new Capability(scope, read, write);
  }

  /** The root capability `/:rw`. */
  static root(): Capability {
    return new Capability('/', true, true);
  }

  get isRoot(): boolean {
    return this.scope === '/' && this.read && this.write;
  }

  /** Whether this capability's scope covers `path` (trailing-slash aware). */
  covers(path: string): boolean {
    return this.scope === path || (this.scope.endsWith('/') && path.startsWith(this.scope));
  }

  allows(path: string, action: Action): boolean {
    return (action === 'r' ? this.read : this.write) && this.covers(path);
  }

  toString(): string {
    return `${this.scope}:${this.read ? 'r' : ''}${this.write ? 'w' : ''}`;
  }
}

function invalid(input: string, why: string): PubkyError {
  return commonError('invalid_capability', `invalid capability ${JSON.stringify(input)}: ${why}`);
}

/** A list of capabilities, written comma-separated on the wire (`/pub/app/:rw,/pub/foo.txt:r`). */
export class Capabilities {
  constructor(readonly items: readonly Capability[]) {}

  /** Strict: every item must parse; `""` is the empty list. */
  static parse(input: string): Capabilities {
    if (input === '') return new Capabilities([]);
    return new Capabilities(input.split(',').map((item) => Capability.parse(item)));
  }

  static from(value: Capabilities | readonly (Capability | string)[] | string): Capabilities {
    if (value instanceof Capabilities) return value;
    if (typeof value === 'string') return Capabilities.parse(value);
    return new Capabilities(value.map((c) => (typeof c === 'string' ? Capability.parse(c) : c)));
  }

  allows(path: string, action: Action): boolean {
    return this.items.some((c) => c.allows(path, action));
  }

  get hasRoot(): boolean {
    return this.items.some((c) => c.isRoot);
  }

  toString(): string {
    return this.items.map((c) => c.toString()).join(',');
  }

  toArray(): string[] {
    return this.items.map((c) => c.toString());
  }
}
