// Test helpers: signed packets built by hand (so relay tests do not depend on the pkarr package)
// and an in-memory DHT backend double.
import { type Keypair, PubkyError } from '@pubky-ts/common';
import type { DhtBackend, DhtMutableItem } from '@pubky-ts/pkarr';
import { signable } from '../src/relay-packet.ts';

export interface TestRecord {
  name: string; // fully qualified, e.g. `<z32>` or `_foo.<z32>`
  ttl: number;
  ipv4?: [number, number, number, number];
  txt?: string;
}

export function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.').filter((l) => l.length > 0)) {
    const b = Buffer.from(label, 'utf8');
    out.push(b.length, ...b);
  }
  out.push(0);
  return out;
}

export function encodeDns(records: TestRecord[]): Uint8Array {
  const out: number[] = [0, 0, 0x80, 0, 0, 0, records.length >> 8, records.length & 0xff, 0, 0, 0, 0];
  for (const r of records) {
    out.push(...encodeName(r.name));
    let type = 1;
    let rdata: number[];
    if (r.txt !== undefined) {
      type = 16;
      const t = Buffer.from(r.txt, 'utf8');
      rdata = [t.length, ...t];
    } else rdata = r.ipv4 ?? [127, 0, 0, 1];
    out.push(0, type, 0, 1, (r.ttl >>> 24) & 0xff, (r.ttl >>> 16) & 0xff, (r.ttl >>> 8) & 0xff, r.ttl & 0xff);
    out.push(rdata.length >> 8, rdata.length & 0xff, ...rdata);
  }
  return Uint8Array.from(out);
}

export interface TestPacket {
  keypair: Keypair;
  timestamp: number;
  dns: Uint8Array;
  signature: Uint8Array;
  canonical: Uint8Array;
  payload: Uint8Array;
  item: DhtMutableItem;
}

let lastTs = 0;
/** A strictly increasing µs timestamp. */
export function freshTimestamp(): number {
  lastTs = Math.max(Date.now() * 1000, lastTs + 1);
  return lastTs;
}

export function makePacket(keypair: Keypair, opts: { timestamp?: number; records?: TestRecord[]; dns?: Uint8Array } = {}): TestPacket {
  const timestamp = opts.timestamp ?? freshTimestamp();
  const dns = opts.dns ?? encodeDns(opts.records ?? [{ name: keypair.publicKey.z32, ttl: 3600, txt: `hello ${timestamp}` }]);
  const signature = keypair.sign(signable(timestamp, dns));
  const canonical = new Uint8Array(104 + dns.length);
  canonical.set(keypair.publicKey.bytes, 0);
  canonical.set(signature, 32);
  const dv = new DataView(canonical.buffer);
  dv.setUint32(96, Math.floor(timestamp / 0x1_0000_0000));
  dv.setUint32(100, timestamp >>> 0);
  canonical.set(dns, 104);
  return {
    keypair,
    timestamp,
    dns,
    signature,
    canonical,
    payload: canonical.subarray(32),
    item: { key: keypair.publicKey.bytes, seq: timestamp, value: dns, signature },
  };
}

/** A DHT double: stores BEP44 items per key with the reference's put rules (302 below, 301 on cas). */
export class MemoryDht implements DhtBackend {
  readonly items = new Map<string, DhtMutableItem>();
  /** Extra (possibly invalid) items every get also yields, after the stored one. */
  extra: DhtMutableItem[] = [];
  gets = 0;
  puts = 0;
  delayMs = 0;
  storedAt = 3;
  getError: Error | null = null;
  putError: Error | null = null;

  private id(key: Uint8Array): string {
    return Buffer.from(key).toString('hex');
  }

  async *getMutable(key: Uint8Array, opts?: { seq?: number }): AsyncIterable<DhtMutableItem> {
    this.gets++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.getError) throw this.getError;
    const it = this.items.get(this.id(key));
    if (it && (opts?.seq === undefined || it.seq > opts.seq)) yield it;
    for (const e of this.extra) yield e;
  }

  async putMutable(item: DhtMutableItem & { cas?: number }): Promise<{ storedAt: number }> {
    this.puts++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.putError) throw this.putError;
    const cur = this.items.get(this.id(item.key));
    if (cur && item.cas !== undefined && item.cas !== cur.seq) throw new PubkyError('cas_failed', 'cas mismatch (301)');
    if (cur && item.seq < cur.seq) throw new PubkyError('not_most_recent', 'sequence number less than current (302)');
    this.items.set(this.id(item.key), { key: item.key, seq: item.seq, value: item.value, signature: item.signature });
    return { storedAt: this.storedAt };
  }
}
