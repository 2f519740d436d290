import type { Duplex } from 'node:stream';
import { ERROR_CODE_HEADER, httpError } from '../errors.ts';

/** Answers requests Node's HTTP parser rejects (bad request lines, header overflow) in plain text. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const answer =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? httpError('HEADERS_TOO_LARGE')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? httpError('REQUEST_TIMEOUT')
        : httpError('MALFORMED_REQUEST', err.code ?? 'parse error');
  const { status, message, code } = answer;
  const body = Buffer.from(message);
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : message}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n${ERROR_CODE_HEADER}: ${code}\r\nconnection: close\r\n\r\n${message}`,
  );
}
