export { ERROR_CODE_HEADER, HttpError, httpError } from '../errors/http-error.ts';
export type { HomeserverErrorCode } from '../errors/catalogue.ts';
