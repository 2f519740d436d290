import type { Duplex } from 'node:stream';
import { ERROR_CODE_HEADER } from '../errors.ts';

/** Answers requests Node's HTTP parser rejects (bad request lines, header overflow) in plain text. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, `Bad Request: malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = Buffer.from(text);
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n${ERROR_CODE_HEADER}: MALFORMED_REQUEST\r\nconnection: close\r\n\r\n${text}`,
  );
}
