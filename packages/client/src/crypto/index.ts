// End-to-end encryption: age v1 files the homeserver stores as opaque bytes (README, "Encryption").
export { EncryptionError, type EncryptionErrorCode } from './encryption-error.ts';
export {
  ageKeyPairOf,
  ageRecipientOf,
  decodeIdentity,
  decodeRecipient,
  deriveDirectoryKey,
  encodeIdentity,
  encodeRecipient,
  rootDirectoryKey,
  type AgeKeyPair,
} from './age-keys.ts';
export {
  decryptAge,
  decryptAgeBytes,
  encryptAge,
  encryptAgeBytes,
  openAgeRanged,
  type ByteSource,
  type EncryptedFile,
  type OpenedAgeFile,
} from './age-file.ts';
export type { HeaderKeys } from './age-header.ts';
export { Keyring, type ScopeKey, type ScopeKeyJson } from './keyring.ts';
export { EncryptedStorage, isAgeFile, storageSource, type PutEncryptedOptions } from './encrypted-storage.ts';
export { envelopePath, shareKeysFor, SHARES_ROOT } from './shares.ts';
