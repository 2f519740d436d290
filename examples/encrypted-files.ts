// End-to-end encrypted files: the homeserver stores age ciphertext; the owner, an app holding only
// its scope key, and a reader named with `to` decrypt; a stranger cannot.
//   node --import tsx examples/encrypted-files.ts
import { ageRecipientOf, EncryptedStorage, type EncryptionError, isAgeFile, Keypair, Keyring } from '@pubky-ts/client';
import { runExample } from './local-network.ts';

await runExample(async (net, pubky) => {
  const alice = Keypair.random();
  const bob = Keypair.random();
  const session = await pubky.signer(alice).signup(net.homeserver, await net.signupToken());
  // Anyone can encrypt to a pubky from its public key alone (the age CLI too: age -r <this>).
  console.log(`alice's age recipient: ${ageRecipientOf(alice.publicKey).slice(0, 12)}…`);

  const enc = new EncryptedStorage(session.storage, Keyring.fromKeypair(alice));
  await enc.putEncrypted('/priv/example.app/diary.txt', 'dear diary');
  await enc.putEncrypted('/pub/example.app/for-bob.txt', 'hello bob', { to: [bob.publicKey] });
  const stored = await session.storage.getBytes('/priv/example.app/diary.txt');
  console.log(`the homeserver holds an age file: ${isAgeFile(stored)}, ${stored.length} bytes`);
  console.log(`alice reads: ${await enc.getDecryptedText('/priv/example.app/diary.txt')}`);

  // An app granted /priv/example.app/ gets that scope's key from the authenticator, and nothing more.
  const appKeys = Keyring.fromScopeKeys(alice.publicKey, Keyring.scopeKeysFor(alice, ['/priv/example.app/']));
  console.log(`the app reads: ${await new EncryptedStorage(session.storage, appKeys).getDecryptedText('/priv/example.app/diary.txt')}`);

  // Bob reads what was encrypted to him, from Alice's public storage, with his own key.
  const address = `pubky://${alice.publicKey.z32}/pub/example.app/for-bob.txt`;
  const bobReads = new EncryptedStorage(pubky.publicStorage, Keyring.fromKeypair(bob));
  console.log(`bob reads: ${await bobReads.getDecryptedText(address)}`);
  try {
    await new EncryptedStorage(pubky.publicStorage, Keyring.fromKeypair(Keypair.random())).getDecryptedText(address);
  } catch (e) {
    console.log(`a stranger is refused: ${(e as EncryptionError).code}`);
  }
  console.log('done');
});
