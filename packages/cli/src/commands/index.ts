import type { CommandEntry } from '../args.ts';

export type { CommandEntry };

export const commands: CommandEntry[] = [
  { name: 'keygen', summary: 'create a new key pair', load: async () => (await import('./keygen.ts')).keygen },
  {
    name: 'key',
    summary: 'show the age encryption key of a pubky (recipient, or your identity)',
    load: async () => (await import('./key.ts')).key,
  },
  {
    name: 'publish',
    summary: 'sign DNS records with a key and publish them to the DHT and relays',
    load: async () => (await import('./publish.ts')).publish,
  },
  {
    name: 'resolve',
    summary: "look up a key's signed DNS records on the DHT and relays",
    load: async () => (await import('./resolve.ts')).resolve,
  },
  { name: 'dht', summary: 'run a Mainline DHT node', load: async () => (await import('./dht.ts')).dht },
  { name: 'relay', summary: 'run a pkarr relay (HTTP ⇄ DHT, persistent cache)', load: async () => (await import('./relay.ts')).relay },
  {
    name: 'http-relay',
    summary: 'run the HTTP relay of the auth flow (/inbox, /link)',
    load: async () => (await import('./relay.ts')).httpRelay,
  },
  {
    name: 'homeserver',
    summary: 'run a homeserver (config file, env and flags)',
    load: async () => (await import('./homeserver.ts')).homeserver,
  },
  {
    name: 'testnet',
    summary: 'run a whole local Pubky network (what `npm start` runs)',
    load: async () => (await import('./testnet.ts')).testnet,
  },
  {
    name: 'signup',
    summary: 'create an account on a homeserver and save the session',
    load: async () => (await import('./signup.ts')).signup,
  },
  { name: 'login', summary: "sign in on the key's homeserver and save the session", load: async () => (await import('./login.ts')).login },
  {
    name: 'logout',
    summary: 'end a saved session on its homeserver and forget it',
    load: async () => (await import('./logout.ts')).logout,
  },
  { name: 'put', summary: 'upload a file (or stdin) to your storage', load: async () => (await import('./put.ts')).put },
  {
    name: 'get',
    summary: 'download a file from anyone’s public storage (or your private storage)',
    load: async () => (await import('./get.ts')).get,
  },
  {
    name: 'ls',
    summary: 'list a directory of anyone’s public storage (or your private storage)',
    load: async () => (await import('./ls.ts')).ls,
  },
  {
    name: 'share',
    summary: 'let another pubky read an encrypted file or folder of yours',
    load: async () => (await import('./share.ts')).share,
  },
  {
    name: 'unshare',
    summary: "remove a reader's share of an encrypted file or folder",
    load: async () => (await import('./share.ts')).unshare,
  },
  { name: 'rm', summary: 'delete a file from your storage', load: async () => (await import('./rm.ts')).rm },
  {
    name: 'migrate',
    summary: 'move your account to another homeserver (verified, resumable), then switch your record',
    load: async () => (await import('./migrate.ts')).migrate,
  },
  {
    name: 'export',
    summary: 'write your whole tree to one signed archive file (restore it with import)',
    load: async () => (await import('./export.ts')).exportCommand,
  },
  {
    name: 'import',
    summary: 'restore a signed archive into your tree, on any homeserver (verified first)',
    load: async () => (await import('./import.ts')).importCommand,
  },
  {
    name: 'events',
    summary: "follow a user's event stream (writes and deletes), one line per event",
    load: async () => (await import('./events.ts')).events,
  },
  {
    name: 'indexer',
    summary: 'run the pubky.app indexer over many homeservers (social-graph API), or verify its index',
    load: async () => (await import('./indexer.ts')).indexer,
  },
  {
    name: 'admin',
    summary: "a homeserver's admin API: `pubky admin token` prints a fresh signup token",
    load: async () => (await import('./admin.ts')).admin,
  },
  {
    name: 'dav-password',
    summary: 'an app password to mount your storage over WebDAV (a scoped, revocable grant)',
    load: async () => (await import('./dav-password.ts')).davPassword,
  },
  {
    name: 'auth',
    summary: 'the pubkyauth:// flow: approve an app’s request with your key, or ask for access',
    load: async () => (await import('./auth.ts')).auth,
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh): source <(pubky completion bash)',
    load: async () => (await import('./completion.ts')).completionOf(commands),
  },
];
