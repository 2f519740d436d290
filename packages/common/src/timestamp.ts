let last = 0;

/**
 * Microseconds since the Unix epoch, strictly increasing within this process (two calls never
 * return the same value), as PKARR packets and AuthTokens need.
 */
export function nowMicros(): number {
  let now = Date.now() * 1000;
  if (now <= last) now = last + 1;
  last = now;
  return now;
}
