// The SDK's inner contracts: what Signer, AuthFlow, migration and mirror administration need of the
// `Pubky` client and of a Signer. They are interfaces in a file of their own so that those modules
// do not import `pubky.ts` or `signer.ts`, which import them (no import circle).
import type { AuthToken, Keypair, PublicKey } from '@pubky-ts/common';
import type { AuthFlowHost } from './auth-flow.ts';
import type { PubkyHttp } from './http.ts';
import type { Pkdns } from './pkdns.ts';
import type { Session } from './session.ts';

/** What Signer and AuthFlow use inside the client (`Pubky` implements it). Not part of the public API. */
export interface PubkyInternals extends AuthFlowHost {
  readonly http: PubkyHttp;
  readonly pkdns: Pkdns;
  cookieSession(user: PublicKey, homeserver: PublicKey, res: Response, options?: { remember?: boolean }): Promise<Session>;
  sessionFromAuthToken(token: AuthToken, homeserver?: PublicKey, signal?: AbortSignal, options?: { remember?: boolean }): Promise<Session>;
}

/** What migration and mirror administration use of a user's Signer (`Signer` implements it). */
export interface AccountSigner {
  readonly keypair: Keypair;
  readonly publicKey: PublicKey;
  /** A root session at `homeserver` by sign-in. */
  signinAt(homeserver: PublicKey | string, options?: { signal?: AbortSignal }): Promise<Session>;
  /** A root session at `homeserver`: sign in, or sign up without publishing when there is no account. */
  sessionAt(homeserver: PublicKey | string, options?: { signupToken?: string | null; signal?: AbortSignal }): Promise<Session>;
  /** Publishes the user's `_pubky` record pointing at `homeserver`. */
  publishHomeserver(homeserver: PublicKey, options?: { ifOlderThanMs?: number; signal?: AbortSignal }): Promise<boolean>;
}
