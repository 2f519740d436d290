// The encryption steps of the browser scenario: the same EncryptedStorage API as on Node, on the
// browser's payload cipher (@noble/ciphers, chosen by the `#aead` browser condition).
import {
  decryptAgeBytes,
  encryptAgeBytes,
  EncryptedStorage,
  isAgeFile,
  Keyring,
  ageKeyPairOf,
  type Keypair,
  type Session,
} from '@pubky-ts/client';

type Step = <T>(name: string, fn: () => Promise<T>) => Promise<T | undefined>;

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export async function encryptionSteps(
  session: Session,
  keypair: Keypair,
  step: Step,
  expectError: (name: string, fn: () => Promise<unknown>) => Promise<unknown>,
): Promise<void> {
  const enc = new EncryptedStorage(session.storage, Keyring.fromKeypair(keypair));
  const path = '/priv/browser.test/encrypted.txt';
  await step('encPut', () => enc.putEncrypted(path, 'secret in the browser').then(() => true));
  await step('encStored', async () => {
    const raw = await session.storage.getBytes(path);
    return isAgeFile(raw) && !new TextDecoder().decode(raw).includes('secret in the browser');
  });
  await step('encGet', () => enc.getDecryptedText(path));
  const big = pattern(3 * 65536 + 5);
  await step('encRanged', async () => {
    await enc.putEncrypted('/priv/browser.test/big.bin', big);
    const file = await enc.openRanged('/priv/browser.test/big.bin');
    const part = await file.read(65536 - 10, 2 * 65536 + 10);
    return file.size === big.length && equal(part, big.subarray(65536 - 10, 2 * 65536 + 10));
  });
  await expectError('encTampered', async () => {
    const { identity, recipient } = ageKeyPairOf(keypair);
    const { bytes } = await encryptAgeBytes(big, [recipient]);
    bytes[bytes.length - 100]! ^= 1;
    return decryptAgeBytes(bytes, { identities: [identity] });
  });
  // 16 MiB each way, in memory: the payload cipher's throughput in this browser.
  await step('encThroughput', async () => {
    const { identity, recipient } = ageKeyPairOf(keypair);
    const plain = pattern(16 * 1024 * 1024);
    const t0 = performance.now();
    const { bytes } = await encryptAgeBytes(plain, [recipient]);
    const t1 = performance.now();
    const back = await decryptAgeBytes(bytes, { identities: [identity] });
    const t2 = performance.now();
    if (!equal(back.subarray(0, 1000), plain.subarray(0, 1000)) || back.length !== plain.length) throw new Error('round trip differs');
    const mb = plain.length / 1e6;
    return { encryptMBs: Math.round(mb / ((t1 - t0) / 1000)), decryptMBs: Math.round(mb / ((t2 - t1) / 1000)) };
  });
}
