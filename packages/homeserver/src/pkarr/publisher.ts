import { DhtNode } from '@pubky-ts/dht';
import { Pkarr, type DhtBackend } from '@pubky-ts/pkarr';
import type { PublisherHandle, StartedInfo } from '../server.ts';
import { signHomeserverPacket } from './homeserver-packet.ts';
import { UserRepublisher } from './user-republisher.ts';

/** The reference refuses user republish intervals under 30 minutes. */
const MIN_USER_INTERVAL_S = 1800;
const KEY_REPUBLISH_MS = 3600_000;

export interface PkarrPublisherOptions {
  /** A DHT node to use (not closed by the publisher); default: start one from the config's bootstrap list. */
  dht?: DhtBackend | false;
  /** Relay base URLs; default: `pkdns.dht_relay_nodes`. */
  relays?: string[];
  /** Override the user republish interval (ms), e.g. in tests; default from the config. */
  userRepublishIntervalMs?: number;
  userRepublishInitialDelayMs?: number;
}

export interface PkarrPublisherHandle extends PublisherHandle {
  pkarr: Pkarr;
  users: UserRepublisher | null;
}

/**
 * The `publisher` hook of `startHomeserver`: signs the homeserver's packet once, publishes it (start-up
 * fails when nothing stored it), republishes the same packet hourly, and runs the user republisher.
 */
export function pkarrPublisher(options: PkarrPublisherOptions = {}) {
  return async (info: StartedInfo): Promise<PkarrPublisherHandle> => {
    const { config, keypair, log } = info;
    let ownNode: DhtNode | null = null;
    let dht: DhtBackend | undefined = options.dht === false ? undefined : options.dht;
    if (options.dht === undefined) {
      ownNode = await DhtNode.start({
        port: 0,
        host: '0.0.0.0',
        bootstrap: config.pkdns.dhtBootstrapNodes ?? undefined,
        requestTimeoutMs: config.pkdns.dhtRequestTimeoutMs ?? undefined,
      });
      dht = ownNode;
    }
    const relays = options.relays ?? config.pkdns.dhtRelayNodes;
    const pkarr = new Pkarr({ dht, relays, requestTimeoutMs: config.pkdns.dhtRequestTimeoutMs ?? undefined });
    const packet = signHomeserverPacket(keypair, {
      publicIp: config.pkdns.publicIp,
      // 0: nothing fronts the Pubky TLS socket (a testnet), so no record sends clients there.
      pubkyTlsPort: config.pkdns.publicPubkyTlsPort === 0 ? null : (config.pkdns.publicPubkyTlsPort ?? config.drive.pubkyListen.port),
      icannDomain: config.pkdns.icannDomain || null,
      icannHttpPort: config.pkdns.publicIcannHttpPort ?? info.icannPort,
    });
    const cleanup = async () => {
      await pkarr.close();
      await ownNode?.close();
    };
    try {
      const storedAt = await pkarr.publish(packet);
      log.info({ publicKey: keypair.publicKey.z32, storedAt }, 'homeserver packet published');
    } catch (e) {
      await cleanup();
      throw e;
    }
    const keyTimer = setInterval(() => {
      pkarr.publish(packet).then(
        (storedAt) => log.info({ storedAt }, 'homeserver packet republished'),
        (err) => log.warn({ err }, 'homeserver packet republish failed'),
      );
    }, KEY_REPUBLISH_MS);
    keyTimer.unref();

    const intervalS = config.pkdns.userKeysRepublisherIntervalS;
    let users: UserRepublisher | null = null;
    if (intervalS > 0 || options.userRepublishIntervalMs) {
      users = new UserRepublisher({
        packets: info.store.packets,
        pkarr,
        homeserver: keypair.publicKey,
        intervalMs: options.userRepublishIntervalMs ?? Math.max(intervalS, MIN_USER_INTERVAL_S) * 1000,
        initialDelayMs: options.userRepublishInitialDelayMs,
        log,
      });
      users.start();
    }
    return {
      pkarr,
      users,
      async close() {
        clearInterval(keyTimer);
        await users?.close();
        await cleanup();
      },
    };
  };
}
