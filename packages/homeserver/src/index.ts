export {
  startHomeserver,
  HomeserverStartError,
  type RunningHomeserver,
  type StartHomeserverOptions,
  type StartedInfo,
  type PublisherHandle,
} from './server.ts';
export { ConfigError, parseSocketAddress, type HomeserverConfig, type SignupMode, type SocketAddress } from './config/config.ts';
export {
  loadConfig,
  resolveConfig,
  parseConfigFlags,
  configFromEnv,
  defaultConfigTable,
  SAMPLE_CONFIG_PATH,
  type LoadConfigOptions,
} from './config/load-config.ts';
export { loadOrCreateSecretKey } from './config/secret-key.ts';
export { HttpError, httpError } from './http/errors.ts';
export {
  HOMESERVER_ERROR_DOCS,
  HOMESERVER_ERRORS,
  HOMESERVER_START_ERRORS,
  type HomeserverErrorCode,
  type HomeserverStartCode,
} from './errors/catalogue.ts';
export { signJws, verifyGrant, verifyPop, type GrantClaims, type PopClaims } from './auth/jws.ts';
export * from './storage/index.ts';
export {
  pkarrPublisher,
  signHomeserverPacket,
  homeserverRecords,
  UserRepublisher,
  HTTP_PORT_PARAM,
  type PkarrPublisherOptions,
  type PkarrPublisherHandle,
  type RepublishOutcome,
  type RepublishSummary,
} from './pkarr/index.ts';
export {
  runDoctor,
  formatDoctorReport,
  type CheckResult,
  type CheckStatus,
  type DoctorOptions,
  type DoctorReport,
} from './doctor/doctor.ts';
