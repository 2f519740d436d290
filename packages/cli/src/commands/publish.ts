import { readFile } from 'node:fs/promises';
import { PublicKey } from '@pubky-ts/common';
import { SignedPacket, type DnsRecord } from '@pubky-ts/pkarr';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { networkOptions, networkUsage, openNetwork } from '../network-options.ts';
import { formatRecord, parseZone, parseZoneLine } from '../zone.ts';

export const publish: Command = {
  name: 'publish',
  usage: `pubky publish (--key <file> | --recovery <file>) [--record "<line>"]… [--zone <file>] [--homeserver <key>]

Builds a PKARR packet from records, signs it and publishes it to the Mainline DHT and the relays.
Records use zone-file lines: <name> [<ttl>] <TYPE> <data…>, names relative to the key (@ = apex):

  pubky publish -k alice.key --record "@ 300 A 203.0.113.7" --record '_foo TXT "hello"'
  pubky publish -k alice.key --homeserver 8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo --testnet

${keyUsage}
      --record <line>       one record (repeatable)
      --zone <file>         records from a zone file (one per line, ';' comments)
      --homeserver <key>    add "_pubky 3600 HTTPS 0 <key>" (the user's homeserver)
      --dry-run             print the packet, do not publish
${networkUsage}`,
  options: {
    ...keyOptions,
    record: { type: 'string', multiple: true },
    zone: { type: 'string' },
    homeserver: { type: 'string' },
    'dry-run': { type: 'boolean' },
    ...networkOptions,
  },
  async run(values) {
    const keypair = await loadKeypair(values);
    const records: DnsRecord[] = [];
    if (typeof values.zone === 'string') {
      let text: string;
      try {
        text = await readFile(values.zone, 'utf8');
      } catch {
        throw new CliError(`cannot read the zone file ${values.zone}`);
      }
      records.push(...parseZone(text, values.zone));
    }
    for (const [i, line] of ((values.record as string[] | undefined) ?? []).entries()) {
      const r = parseZoneLine(line, `--record #${i + 1}`);
      if (r) records.push(r);
    }
    if (typeof values.homeserver === 'string') {
      const hs = PublicKey.tryParse(values.homeserver);
      if (!hs) throw new CliError(`--homeserver ${JSON.stringify(values.homeserver)} is not a public key`);
      records.push({ name: '_pubky', ttl: 3600, type: 'HTTPS', priority: 0, target: hs.z32, params: {} });
    }
    if (records.length === 0) throw new CliError('no records: give --record, --zone or --homeserver');
    const packet = SignedPacket.sign(keypair, records);
    console.log(`;; ${keypair.publicKey.z32}  timestamp ${packet.timestamp}  ${packet.bytes.length} bytes`);
    for (const r of packet.records) console.log(formatRecord(r));
    if (values['dry-run']) return 0;
    const net = await openNetwork(values);
    try {
      const storedAt = await net.pkarr.publish(packet);
      console.log(`;; published: stored on ${storedAt} DHT node(s)${net.relays.length ? ` and sent to ${net.relays.join(', ')}` : ''}`);
    } finally {
      await net.close();
    }
  },
};
