export {
  startTestnet,
  TESTNET_ADMIN_PASSWORD,
  TESTNET_HOMESERVER_SECRET,
  TESTNET_PORTS,
  type Testnet,
  type TestnetOptions,
} from './testnet.ts';
export { startLoadBalancer, type LoadBalancer, type LoadBalancerOptions } from './load-balancer.ts';
export { startExtraHomeserver, type ExtraHomeserver, type ExtraHomeserverOptions } from './extra-homeserver.ts';
export { testnetHomeserverTable, type TestnetHomeserverTableOptions } from './homeserver-table.ts';
