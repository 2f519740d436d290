// Sign up on a homeserver, sign out, sign in again, and keep a session across "restarts".
//   node --import tsx examples/signup.ts
import { Keypair, Pubky, createRecoveryFile, decryptRecoveryFile } from '@pubky-ts/client';
import { runExample } from './local-network.ts';

await runExample(async (net, pubky) => {
  // A user is a key pair. Keep it safe: a recovery file is the key encrypted with a passphrase.
  const keypair = Keypair.random();
  console.log(`user: ${keypair.publicKey.z32}`);
  const recovery = await createRecoveryFile(keypair, 'correct horse battery staple');
  const restoredKey = await decryptRecoveryFile(recovery, 'correct horse battery staple');
  console.log(`recovery file: ${recovery.length} bytes, decrypts to the same key: ${restoredKey.publicKey.equals(keypair.publicKey)}`);

  // Sign up: POST /signup with a signed AuthToken (and a token, since this homeserver wants one),
  // then the SDK publishes the user's _pubky record pointing at the homeserver.
  const signer = pubky.signer(keypair);
  const token = await net.signupToken();
  const session = await signer.signup(net.homeserver, token);
  console.log(`signed up with token ${token}; capabilities: ${session.capabilities.join(',')}`);

  // Anyone can now find the user's homeserver through PKARR.
  const found = await new Pubky(net.options).getHomeserverOf(keypair.publicKey);
  console.log(`homeserver of the user, resolved: ${found?.z32}`);
  console.log(`resolves to the same homeserver: ${found?.equals(net.homeserver)}`);

  // A session can be saved and restored (the export holds the session secret: store it like a password).
  const saved = session.export();
  const again = await new Pubky(net.options).restoreSession(saved);
  console.log(`restored session of ${again.publicKey.z32.slice(0, 8)}…, valid: ${await again.revalidate()}`);

  await session.signout();
  console.log(`signed out; the restored copy is still valid: ${await again.revalidate()}`);

  // Later, from any device holding the key: sign in (resolves the homeserver through _pubky).
  const later = await new Pubky(net.options).signer(restoredKey).signin({ awaitRepublish: true });
  console.log(`signed in again on ${later.homeserver.z32.slice(0, 8)}…; capabilities: ${later.capabilities.join(',')}`);
  await later.signout();
  console.log('done');
});
