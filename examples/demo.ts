// A whole Pubky round trip on this machine: starts a pkarr relay, an HTTP relay and a homeserver on
// random loopback ports, then uses the SDK the way an app and a user's authenticator would.
//   node --import tsx examples/demo.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, startHomeserver } from '@pubky-ts/homeserver';
import { Pkarr, SignedPacket } from '@pubky-ts/pkarr';
import { startHttpRelay, startPkarrRelay } from '@pubky-ts/relay';
import { Keypair, Pubky } from '@pubky-ts/client';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  // --- infrastructure (what `npm start` / a testnet gives you) ---
  const pkarrRelay = await startPkarrRelay({ port: 0, host: '127.0.0.1', dht: false });
  const httpRelay = await startHttpRelay({ port: 0, host: '127.0.0.1' });
  const dataDir = mkdtempSync(join(tmpdir(), 'pubky-demo-'));
  const homeserver = await startHomeserver(
    resolveConfig(dataDir, {
      general: { signup_mode: 'open' },
      drive: { icann_listen_socket: '127.0.0.1:0' },
      admin: { enabled: false },
      logging: { level: 'silent' },
    }),
    {
      keypair: Keypair.random(),
      // Publish the homeserver's packet like the testnet does: `HTTPS 10 localhost` + port in key 65280.
      publisher: async ({ keypair, icannPort }) => {
        const packet = SignedPacket.sign(keypair, [
          {
            type: 'HTTPS',
            name: '.',
            ttl: 3600,
            priority: 10,
            target: 'localhost',
            params: { other: [{ key: 65280, value: Uint8Array.of(icannPort >> 8, icannPort & 0xff) }] },
          },
        ]);
        await new Pkarr({ relays: [pkarrRelay.url] }).publish(packet);
      },
    },
  );
  const options = { relays: [pkarrRelay.url], httpRelay: `${httpRelay.url}/inbox` };
  try {
    // --- the user: a key pair, an account, some data ---
    const pubky = new Pubky(options);
    const keypair = Keypair.random();
    const signer = pubky.signer(keypair);
    const session = await signer.signup(homeserver.publicKey);
    log(`signed up ${keypair.publicKey.z32}`);
    await session.storage.putJson('/pub/demo.app/profile.json', { name: 'Alice' });
    await session.storage.putText('/pub/demo.app/posts/1.txt', 'hello world');
    log(`listing: ${(await session.storage.list('/pub/demo.app/', { shallow: true })).join(' ')}`);

    // --- anyone: read public data by address ---
    const reader = new Pubky(options);
    const profile = await reader.publicStorage.getJson<{ name: string }>(`pubky://${keypair.publicKey.z32}/pub/demo.app/profile.json`);
    log(`profile name: ${profile.name}`);

    // --- an app: ask the user for access through a pubkyauth:// link ---
    const app = new Pubky(options);
    const flow = app.startAuthFlow('/pub/demo.app/:rw');
    log(`show this as a QR code: ${flow.authorizationUrl.slice(0, 60)}…`);
    const approved = flow.awaitSession();
    await signer.approveAuthRequest(flow.authorizationUrl); // on the user's authenticator
    const appSession = await approved;
    await appSession.storage.putText('/pub/demo.app/posts/2.txt', 'posted by the app');
    log(`app session capabilities: ${appSession.capabilities.join(',')}`);

    // --- an indexer: read the events ---
    for await (const event of reader.events({ users: [keypair.publicKey] })) {
      log(`event ${event.type} ${event.path} cursor=${event.cursor}`);
    }
    await session.signout();
    log('signed out');
  } finally {
    await homeserver.close();
    await httpRelay.close();
    await pkarrRelay.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
