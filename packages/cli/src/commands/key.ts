import { PublicKey } from '@pubky-ts/common';
import { ageKeyPairOf, ageRecipientOf, encodeIdentity } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';

async function age(values: Record<string, unknown>, positionals: string[]): Promise<void> {
  if (positionals.length > 1) throw new CliError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  if (positionals.length === 1) {
    if (values.identity) throw new CliError('--identity needs your own key (--key or --recovery), not a public key');
    const key = PublicKey.tryParse(positionals[0]!);
    if (!key) throw new CliError(`${JSON.stringify(positionals[0])} is not a pubky (52 z-base-32 characters, optionally pubky://…)`);
    console.log(ageRecipientOf(key));
    return;
  }
  const keypair = await loadKeypair(values);
  if (values.identity) {
    // In the file format age -i and age-keygen use: comments, then the identity line.
    console.log(`# pubky: ${keypair.publicKey.z32}`);
    console.log(`# public key: ${ageRecipientOf(keypair.publicKey)}`);
    console.log(encodeIdentity(ageKeyPairOf(keypair).identity));
    return;
  }
  console.log(ageRecipientOf(keypair.publicKey));
}

export const key: Command = {
  name: 'key',
  usage: `pubky key age [<pubky>] [(--key <file> | --recovery <file>) [--identity]]

age: the age encryption key of a pubky, derived from its Ed25519 key (no lookup, nothing to
publish). Prints the recipient (age1…) of <pubky>, or of your own key. With --identity, prints
your age identity (AGE-SECRET-KEY-1…) in age's identity-file format, so that the age CLI opens
your encrypted files:

  pubky key age --key alice.key --identity > alice.agekey   # keep it as secret as the key
  age -d -i alice.agekey notes.age

${keyUsage}
      --identity            print the secret age identity, not the recipient`,
  options: { ...keyOptions, identity: { type: 'boolean' } },
  allowPositionals: true,
  async run(values, positionals) {
    const [sub, ...rest] = positionals;
    if (sub === 'age') return age(values, rest);
    throw new CliError(sub === undefined ? 'give a subcommand: age' : `unknown subcommand ${JSON.stringify(sub)}: age`);
  },
};
