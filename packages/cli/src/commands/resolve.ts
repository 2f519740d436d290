import { PublicKey } from '@pubky-ts/common';
import { RelayClient, resolveFromDht, type SignedPacket } from '@pubky-ts/pkarr';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { networkOptions, networkUsage, openNetwork } from '../network-options.ts';
import { formatRecord } from '../zone.ts';

function age(timestampMicros: number): string {
  const s = Math.max(0, Math.round(Date.now() / 1000 - timestampMicros / 1e6));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

export const resolve: Command = {
  name: 'resolve',
  usage: `pubky resolve <public key> [--testnet] [--relay <url>]… [--bootstrap <h:p>]… [--json]

Asks the DHT and every relay at once and prints the newest packet like dig, with its age and
the sources that served it.

      --json                print the packet as JSON
${networkUsage}`,
  options: { ...networkOptions, json: { type: 'boolean' } },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one public key');
    const key = PublicKey.tryParse(positionals[0]);
    if (!key) throw new CliError(`${JSON.stringify(positionals[0])} is not a public key`);
    const net = await openNetwork(values);
    const found: Array<{ source: string; packet: SignedPacket }> = [];
    const errors: string[] = [];
    try {
      const lookups: Promise<void>[] = net.relays.map(async (url) => {
        try {
          found.push({ source: `relay ${url}`, packet: await new RelayClient(url).resolve(key, { policy: 'NetworkOnly' }) });
        } catch (e) {
          errors.push(`relay ${url}: ${(e as Error).message}`);
        }
      });
      if (net.dht) {
        const dht = net.dht;
        lookups.push(
          (async () => {
            let best: SignedPacket | null = null;
            const err = await resolveFromDht(dht, key, {}, (p) => {
              if (!best || p.moreRecentThan(best)) best = p;
            });
            if (best) found.push({ source: 'DHT', packet: best });
            else if (err) errors.push(`DHT: ${err.message}`);
          })(),
        );
      }
      await Promise.all(lookups);
    } finally {
      await net.close();
    }
    if (found.length === 0) {
      for (const e of errors) console.error(`;; ${e}`);
      console.error(`;; no packet found for ${key.z32}`);
      return 1;
    }
    let newest = found[0].packet;
    for (const f of found) if (f.packet.moreRecentThan(newest)) newest = f.packet;
    const sources = found.filter((f) => f.packet.isSameAs(newest)).map((f) => f.source);
    if (values.json) {
      console.log(
        JSON.stringify({ key: key.z32, timestamp: newest.timestamp, sources, records: newest.records.map(formatRecord) }, null, 2),
      );
      return 0;
    }
    console.log(`;; ${key.z32}`);
    console.log(`;; timestamp ${newest.timestamp} (${new Date(newest.timestamp / 1000).toISOString()}, ${age(newest.timestamp)} old)`);
    console.log(`;; from ${sources.join(', ')}; ${newest.bytes.length} bytes`);
    for (const f of found) if (!f.packet.isSameAs(newest)) console.log(`;; older packet (${age(f.packet.timestamp)} old) from ${f.source}`);
    for (const e of errors) console.log(`;; ${e}`);
    console.log(';; ANSWER SECTION:');
    for (const r of newest.records) console.log(formatRecord(r));
  },
};
