// Scope keys in the auth flow. An app that asks for them (`x-age-keys=1` in its pubkyauth:// link)
// receives, from the authenticator, the directory keys of the scopes it was granted — never the
// user's secret key. They travel on a second relay channel whose secret is derived from the flow's
// secret, encrypted like the first: the official SDK's flow (one message on the first channel) is
// untouched, and an authenticator that does not know the parameter simply sends no keys.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Capabilities, type PublicKey, utf8Decode, utf8Encode, type Keypair } from '@pubky-ts/common';
import { channelUrl, decryptPayload, encryptPayload, receiveFromChannel, sendToChannel, type FetchLike } from '../channel.ts';
import { AuthFlowError } from '../errors.ts';
import { Keyring } from './keyring.ts';

const LABEL = new TextEncoder().encode('pubky-ts/auth-flow/age-keys/v1');

/** The second channel's secret: HKDF-SHA256(flow secret, "pubky-ts/auth-flow/age-keys/v1"). */
export function scopeKeysSecret(flowSecret: Uint8Array): Uint8Array {
  return hkdf(sha256, flowSecret, undefined, LABEL, 32);
}

/** The authenticator's side: the directory keys of every directory scope in `capabilities`. */
export async function sendScopeKeys(
  relay: string,
  flowSecret: Uint8Array,
  keypair: Keypair,
  capabilities: string,
  options: { fetch?: FetchLike; signal?: AbortSignal } = {},
): Promise<void> {
  const scopes = Capabilities.parse(capabilities).items.map((c) => c.scope);
  const keys = Keyring.scopeKeysToJson(Keyring.scopeKeysFor(keypair, scopes));
  const secret = scopeKeysSecret(flowSecret);
  const body = utf8Encode(JSON.stringify({ user: keypair.publicKey.z32, keys }));
  await sendToChannel(await channelUrl(relay, secret), encryptPayload(body, secret), options);
}

/** The app's side: a Keyring holding exactly the keys the authenticator handed over for `user`. */
export async function receiveScopeKeys(
  relay: string,
  flowSecret: Uint8Array,
  user: PublicKey,
  options: { fetch?: FetchLike; signal?: AbortSignal } = {},
): Promise<Keyring> {
  const secret = scopeKeysSecret(flowSecret);
  const box = await receiveFromChannel(await channelUrl(relay, secret), options);
  let message: { user?: unknown; keys?: unknown };
  try {
    message = JSON.parse(utf8Decode(decryptPayload(box, secret)));
  } catch (e) {
    if (e instanceof AuthFlowError) throw e;
    throw new AuthFlowError('auth_flow_bad_payload', "the authenticator's scope keys are not JSON", { cause: e });
  }
  if (typeof message !== 'object' || message === null || message.user !== user.z32) {
    throw new AuthFlowError('auth_flow_bad_payload', `the scope keys are not for ${user.z32}`);
  }
  try {
    return Keyring.fromScopeKeys(user, Keyring.scopeKeysFromJson(message.keys));
  } catch (e) {
    throw new AuthFlowError('auth_flow_bad_payload', `the authenticator's scope keys do not parse: ${(e as Error).message}`, { cause: e });
  }
}
