import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { MirrorProgress, MirrorRecord, MirrorStore, NewMirror } from './mirror-store.ts';

const PREFIX = 'enc1:';
const INFO = 'pubky-ts mirror secrets v1';

/**
 * Keeps the secrets of `mirrors` rows sealed at rest: the user's grant and the bearer at the
 * primary (which opens the user's `/priv/` there until it expires) are stored as AES-256-GCM
 * ciphertext under a key derived (HKDF-SHA256) from the homeserver's secret key, so a copy of the
 * database alone does not hand them out. Rows written before this (plain text) are read as they
 * are and sealed on their next write. A value that no longer opens (the data dir's key changed)
 * reads as null: that mirror then runs on `/pub/` until the user grants again.
 */
export class SealedMirrorStore implements MirrorStore {
  private readonly key: Buffer;

  constructor(
    private readonly inner: MirrorStore,
    homeserverSecretKey: Uint8Array,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', homeserverSecretKey, Buffer.alloc(0), INFO, 32));
  }

  seal(value: string | null): string | null {
    if (value === null) return null;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
  }

  open(value: string | null): string | null {
    if (value === null || !value.startsWith(PREFIX)) return value;
    const raw = Buffer.from(value.slice(PREFIX.length), 'base64url');
    if (raw.length < 12 + 16) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }

  private opened(r: MirrorRecord | null): MirrorRecord | null {
    return r && { ...r, grant: this.open(r.grant), bearer: this.open(r.bearer) };
  }

  async put(m: NewMirror, nowMicros: number): Promise<MirrorRecord | null> {
    return this.opened(await this.inner.put({ ...m, grant: this.seal(m.grant), bearer: this.seal(m.bearer) }, nowMicros));
  }

  async get(user: string): Promise<MirrorRecord | null> {
    return this.opened(await this.inner.get(user));
  }

  async list(): Promise<MirrorRecord[]> {
    return (await this.inner.list()).map((r) => this.opened(r)!);
  }

  delete(user: string): Promise<boolean> {
    return this.inner.delete(user);
  }

  report(user: string, generation: number, progress: MirrorProgress, nowMicros: number): Promise<boolean> {
    const p = progress.bearer === undefined ? progress : { ...progress, bearer: this.seal(progress.bearer) };
    return this.inner.report(user, generation, p, nowMicros);
  }

  claim(user: string, generation: number, owner: string, untilMicros: number, nowMicros: number): Promise<boolean> {
    return this.inner.claim(user, generation, owner, untilMicros, nowMicros);
  }

  release(owner: string): Promise<void> {
    return this.inner.release(owner);
  }
}
