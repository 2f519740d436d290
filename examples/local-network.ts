// What every example runs against: a local Pubky network on loopback.
//
// By default each example starts its own testnet in-process on random free ports (startTestnet()),
// so examples can run side by side and leave nothing behind. With PUBKY_TESTNET=fixed they use the
// fixed testnet layout instead (pkarr relay :15411, HTTP relay :15412, homeserver :6286, admin :6288):
// the one `npm start` runs if it is up, otherwise one started here on those ports.
import { Keypair, Pubky, type PublicKey, type PubkyOptions } from '@pubky-ts/client';
import { startTestnet, TESTNET_ADMIN_PASSWORD, TESTNET_HOMESERVER_SECRET, TESTNET_PORTS, type Testnet } from '@pubky-ts/testnet';

export interface LocalNetwork {
  /** Options for `new Pubky(…)` that reach this network. */
  options: PubkyOptions;
  homeserver: PublicKey;
  /** The HTTP relay channel base for auth flows. */
  httpRelay: string;
  /** A fresh single-use signup token from the homeserver's admin API. */
  signupToken(): Promise<string>;
  /** Where it came from, for the example's first line. */
  description: string;
  close(): Promise<void>;
}

async function isUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(500) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

async function adminToken(adminUrl: string): Promise<string> {
  const res = await fetch(`${adminUrl}/generate_signup_token`, { headers: { 'X-Admin-Password': TESTNET_ADMIN_PASSWORD } });
  if (!res.ok) throw new Error(`the admin API answered ${res.status}: ${await res.text()}`);
  return (await res.text()).trim();
}

function fromTestnet(net: Testnet, description: string): LocalNetwork {
  const httpRelay = `${net.httpRelay.url}/inbox`;
  return {
    options: { relays: [net.pkarrRelay.url], httpRelay },
    homeserver: net.homeserver.publicKey,
    httpRelay,
    signupToken: () => net.signupToken(),
    description,
    close: () => net.close(),
  };
}

export async function openLocalNetwork(): Promise<LocalNetwork> {
  const mode = process.env.PUBKY_TESTNET ?? 'random';
  if (mode !== 'fixed' && mode !== 'random') throw new Error(`PUBKY_TESTNET must be "fixed" or "random", not ${JSON.stringify(mode)}`);
  if (mode === 'fixed') {
    const relay = `http://localhost:${TESTNET_PORTS.pkarrRelay}`;
    if (await isUp(relay)) {
      const httpRelay = `http://localhost:${TESTNET_PORTS.httpRelay}/inbox`;
      return {
        options: { testnet: true },
        homeserver: Keypair.fromSecretKey(TESTNET_HOMESERVER_SECRET).publicKey,
        httpRelay,
        signupToken: () => adminToken(`http://127.0.0.1:${TESTNET_PORTS.homeserverAdmin}`),
        description: 'the running fixed-port testnet (npm start)',
        close: async () => {},
      };
    }
    return fromTestnet(await startTestnet({ fixedPorts: true, logLevel: 'silent' }), 'a fixed-port testnet started here');
  }
  return fromTestnet(await startTestnet({ logLevel: 'silent' }), 'a testnet started here on random ports');
}

/** Runs an example: opens the network, runs `body`, closes everything, exits 0 (or 1 with the error). */
export async function runExample(body: (net: LocalNetwork, pubky: Pubky) => Promise<void>): Promise<void> {
  const net = await openLocalNetwork();
  console.log(`network: ${net.description}`);
  console.log(`homeserver: ${net.homeserver.z32}`);
  try {
    await body(net, new Pubky(net.options));
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  } finally {
    await net.close();
  }
}
