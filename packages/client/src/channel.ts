// The HTTP relay channel of the pubkyauth flow (spec pkarr-dht-relay §7.1, §7.3).
import { base64urlEncode, blake3, decrypt, encrypt, randomBytes } from '@pubky-ts/common';
import { abortedError, AuthFlowError, isAbortError } from './errors.ts';
import { readBytesLimited, readTextPrefix } from './read-limited.ts';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** `base64url_nopad(BLAKE3(secret))`: 43 characters. */
export async function channelId(secret: Uint8Array): Promise<string> {
  if (secret.length !== 32) throw new AuthFlowError('invalid_deep_link', 'an auth flow secret is 32 bytes');
  return base64urlEncode(await blake3(secret));
}

/** A fresh 32-byte auth flow secret. */
export function generateSecret(): Uint8Array {
  return randomBytes(32);
}

/** The channel URL: the relay base without a trailing empty segment, then `/<channel id>`. */
export async function channelUrl(relay: string, secret: Uint8Array): Promise<string> {
  const url = new URL(relay);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${await channelId(secret)}`;
  return url.toString();
}

/** Whether a relay base uses the legacy `/link` semantics (producer blocks, no ACK). */
export function isLegacyLinkRelay(relay: string): boolean {
  return new URL(relay).pathname.replace(/\/+$/, '').endsWith('/link');
}

/** Whether a channel URL (relay base + `/<id>`) lives on a legacy `/link` relay. */
function isLegacyChannel(channel: string): boolean {
  const path = new URL(channel).pathname;
  return path.slice(0, path.lastIndexOf('/')).endsWith('/link');
}

/** XSalsa20-Poly1305 with the secret as key: `nonce(24) ‖ ciphertext ‖ tag(16)`. */
export function encryptPayload(payload: Uint8Array, secret: Uint8Array): Uint8Array {
  if (payload.length === 0) throw new AuthFlowError('auth_flow_bad_payload', 'an auth flow payload cannot be empty');
  return encrypt(payload, secret);
}

export function decryptPayload(box: Uint8Array, secret: Uint8Array): Uint8Array {
  if (box.length === 0) throw new AuthFlowError('auth_flow_bad_payload', 'the relay delivered an empty message');
  try {
    return decrypt(box, secret);
  } catch (e) {
    throw new AuthFlowError(
      'auth_flow_decrypt_failed',
      `the relay message does not decrypt with this flow's secret: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

export interface ReceiveOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
  /** Consecutive failures other than a long-poll timeout before giving up (reference: 3). */
  maxFailures?: number;
  /** Delay before retrying after a failure, multiplied by the failure count. Default 500 ms. */
  retryDelayMs?: number;
  /** Largest message accepted. Default 64 KiB. */
  maxBytes?: number;
}

/**
 * Long-polls `GET <channel>` until a message arrives. A 408 (the relay's long-poll timeout) or a
 * dropped connection just polls again; other failures count, and `maxFailures` in a row give up.
 * On inbox relays the message is then acknowledged with a best-effort `DELETE`.
 */
export async function receiveFromChannel(url: string, options: ReceiveOptions = {}): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxFailures = options.maxFailures ?? 3;
  const retryDelay = options.retryDelayMs ?? 500;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const legacy = isLegacyChannel(url);
  let failures = 0;
  let lastError: unknown;
  for (;;) {
    if (options.signal?.aborted) throw flowAborted(options.signal);
    let res: Response;
    try {
      res = await doFetch(url, { method: 'GET', signal: options.signal, cache: 'no-store' });
    } catch (e) {
      if (options.signal?.aborted) throw flowAborted(options.signal);
      // A long poll dropped by an intermediary looks like a network error: count it, retry.
      lastError = e;
      if (++failures >= maxFailures) throw relayFailure(url, lastError);
      await sleep(retryDelay * failures, options.signal).catch(() => {
        throw flowAborted(options.signal);
      });
      continue;
    }
    if (res.status === 408 || res.status === 504) {
      await res.body?.cancel().catch(() => {});
      failures = 0;
      continue;
    }
    if (res.ok) {
      const body = await readLimited(res, maxBytes);
      if (!legacy) {
        // Best effort: the relay drops the message after its TTL anyway.
        doFetch(url, { method: 'DELETE', signal: options.signal })
          .then((r) => r.body?.cancel())
          .catch(() => {});
      }
      return body;
    }
    const text = await readTextPrefix(res, 512).catch(() => '');
    lastError = new AuthFlowError('auth_flow_relay_error', `relay answered ${res.status}: ${text.slice(0, 200)}`);
    if (++failures >= maxFailures) throw relayFailure(url, lastError);
    await sleep(retryDelay * failures, options.signal).catch(() => {
      throw flowAborted(options.signal);
    });
  }
}

/** POSTs a message to the channel (on legacy `/link` relays this waits until the app reads it). */
export async function sendToChannel(
  url: string,
  body: Uint8Array,
  options: { fetch?: FetchLike; signal?: AbortSignal } = {},
): Promise<void> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      body: body as BodyInit,
      headers: { 'content-type': 'application/octet-stream' },
      signal: options.signal,
    });
  } catch (e) {
    if (options.signal?.aborted || isAbortError(e)) throw flowAborted(options.signal);
    throw new AuthFlowError('auth_flow_relay_error', `could not reach the relay at ${url}: ${(e as Error).message}`, { cause: e });
  }
  const text = await readTextPrefix(res, 512).catch(() => '');
  if (!res.ok) {
    throw new AuthFlowError('auth_flow_relay_error', `the relay refused the message with ${res.status}: ${text.slice(0, 200)}`);
  }
}

async function readLimited(res: Response, maxBytes: number): Promise<Uint8Array> {
  const bytes = await readBytesLimited(res, maxBytes);
  if (bytes === null) {
    throw new AuthFlowError('auth_flow_bad_payload', `the relay message is larger than the ${maxBytes} bytes accepted`);
  }
  return bytes;
}

function relayFailure(url: string, cause: unknown): AuthFlowError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AuthFlowError('auth_flow_relay_error', `giving up on the relay channel ${url}: ${detail}`, { cause });
}

function flowAborted(signal: AbortSignal | undefined): AuthFlowError {
  const e = abortedError(signal);
  return new AuthFlowError('auth_flow_aborted', `the auth flow was ${e.message}`, { cause: signal?.reason });
}

/** Resolves after `ms`, or rejects with an `aborted` error when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
