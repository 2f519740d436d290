// The pubkyauth:// flow: an app asks a user for access to part of their storage; the user's
// authenticator (here: a Signer in the same process) approves; the app gets its own session.
//   node --import tsx examples/auth-flow.ts
import { Keypair, Pubky, parseDeepLink } from '@pubky-ts/client';
import { runExample } from './local-network.ts';

await runExample(async (net, pubky) => {
  // The user already has an account.
  const keypair = Keypair.random();
  await pubky.signer(keypair).signup(net.homeserver, await net.signupToken());
  console.log(`user: ${keypair.publicKey.z32}`);

  // --- the app: asks for read-write access to /pub/example.app/ and shows the link (as a QR code) ---
  const app = new Pubky({ ...net.options, httpRelay: net.httpRelay });
  const flow = app.startAuthFlow('/pub/example.app/:rw');
  console.log(`authorization url: ${flow.authorizationUrl}`);
  const waiting = flow.awaitSession(); // long-polls the HTTP relay channel

  // --- the authenticator: reads the link, shows what it asks for, approves ---
  const request = parseDeepLink(flow.authorizationUrl);
  console.log(`the app asks for: ${request.intent} ${'capabilities' in request ? request.capabilities.toString() : ''}`);
  await new Pubky(net.options).signer(keypair).approveAuthRequest(flow.authorizationUrl);
  console.log('approved');

  // --- the app: receives the signed AuthToken through the relay and holds a session now ---
  const session = await waiting;
  console.log(`app session for ${session.publicKey.z32.slice(0, 8)}…, capabilities: ${session.capabilities.join(',')}`);
  await session.storage.putText('/pub/example.app/hello.txt', 'written by the app');
  console.log(`app wrote: ${await session.storage.getText('/pub/example.app/hello.txt')}`);

  // Its capabilities are enforced by the homeserver: outside /pub/example.app/ it may not write.
  try {
    await session.storage.putText('/pub/other.app/x.txt', 'nope');
    console.log('unexpected: the write outside the granted path succeeded');
    process.exitCode = 1;
  } catch (e) {
    console.log(`write outside the grant refused: ${(e as { code?: string }).code}`);
  }
  await session.signout();
  console.log('done');
});
