// A client that closes its connection mid-request (an interrupted upload, Ctrl-C on curl) is
// ordinary traffic, not a server fault: it deserves one informational line, not an error with a stack.

/** Whether `err` is the request's own connection going away before the body was complete. */
export function isClientAbort(
  err: unknown,
  raw?: { aborted?: boolean; destroyed?: boolean; socket?: { destroyed?: boolean } | null },
): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED') return true;
  // Node's incoming message raises a bare Error('aborted') when its socket closes mid-body.
  return message === 'aborted' && Boolean(raw?.aborted || raw?.destroyed || raw?.socket?.destroyed);
}
