// Storage on a homeserver: write, read, list, inspect and delete files, public and private.
//   node --import tsx examples/storage.ts
import { Keypair, Pubky, type PubkyHttpError } from '@pubky-ts/client';
import { runExample } from './local-network.ts';

await runExample(async (net, pubky) => {
  const keypair = Keypair.random();
  const session = await pubky.signer(keypair).signup(net.homeserver, await net.signupToken());
  const user = keypair.publicKey.z32;
  console.log(`user: ${user}`);

  // Writes go through the session, to absolute paths in the user's own tree.
  await session.storage.putJson('/pub/example.app/profile.json', { name: 'Alice', bio: 'hello' });
  await session.storage.putText('/pub/example.app/posts/0001.txt', 'first post');
  await session.storage.putText('/pub/example.app/posts/0002.txt', 'second post');
  const blob = new Uint8Array(256 * 1024).map((_, i) => (i * 31) & 0xff);
  await session.storage.putBytes('/pub/example.app/blob.bin', blob);
  await session.storage.putText('/priv/example.app/secret.txt', 'only for me');
  console.log('wrote 5 files');

  // Anyone reads public data by address, without a session.
  const reader = new Pubky(net.options);
  const profile = await reader.publicStorage.getJson<{ name: string }>(`pubky://${user}/pub/example.app/profile.json`);
  console.log(`public read: profile name = ${profile.name}`);
  const back = await reader.publicStorage.getBytes(`pubky://${user}/pub/example.app/blob.bin`);
  console.log(`public read: blob.bin ${back.length} bytes, identical: ${back.every((b, i) => b === blob[i])}`);
  const stats = await reader.publicStorage.stats(`pubky://${user}/pub/example.app/blob.bin`);
  console.log(`stats: size=${stats?.size} type=${stats?.contentType} etag=${stats?.etag}`);

  // Listings: pubky:// URLs in byte order; shallow lists one level, directories end in '/'.
  const shallow = await reader.publicStorage.list(`pubky://${user}/pub/example.app/`, { shallow: true });
  console.log(`shallow listing: ${shallow.map((u) => u.slice(u.indexOf('/pub/'))).join(' ')}`);
  const deep: string[] = [];
  for await (const url of reader.publicStorage.listAll(`pubky://${user}/pub/example.app/`, { limit: 2 })) deep.push(url);
  console.log(`full listing (pages of 2): ${deep.length} files`);

  // Private data needs the owner's session.
  console.log(`private read with the session: ${await session.storage.getText('/priv/example.app/secret.txt')}`);
  try {
    await reader.publicStorage.getText(`pubky://${user}/priv/example.app/secret.txt`);
    console.log('unexpected: a private file was readable without a session');
    process.exitCode = 1;
  } catch (e) {
    console.log(`private read without a session refused: ${(e as PubkyHttpError).code}`);
  }

  await session.storage.delete('/pub/example.app/posts/0001.txt');
  console.log(`after delete, exists: ${await reader.publicStorage.exists(`pubky://${user}/pub/example.app/posts/0001.txt`)}`);
  console.log('done');
});
