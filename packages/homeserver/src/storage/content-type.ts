/**
 * Content-Type of a stored file (spec §2.6): magic bytes of the first chunk, else the file
 * extension, else `application/octet-stream`. The request's own Content-Type is ignored.
 */

const OCTET = 'application/octet-stream';

function startsWith(b: Uint8Array, sig: number[], offset = 0): boolean {
  if (b.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[offset + i] !== sig[i]) return false;
  return true;
}

const asciiCache = new Map<string, number[]>();
function ascii(s: string): number[] {
  let v = asciiCache.get(s);
  if (!v) asciiCache.set(s, (v = [...s].map((c) => c.charCodeAt(0))));
  return v;
}

/** Ordered like the `infer` crate's matchers for the types that overlap (e.g. webp/wav are RIFF). */
const MAGIC: [string, (b: Uint8Array) => boolean][] = [
  ['image/png', (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['image/jpeg', (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ['image/gif', (b) => startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))],
  ['image/webp', (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)],
  ['audio/x-wav', (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WAVE'), 8)],
  ['video/x-msvideo', (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('AVI '), 8)],
  ['image/bmp', (b) => startsWith(b, [0x42, 0x4d]) && b.length >= 14],
  ['image/x-icon', (b) => startsWith(b, [0x00, 0x00, 0x01, 0x00])],
  ['image/tiff', (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ['image/avif', (b) => startsWith(b, ascii('ftypavif'), 4)],
  ['image/heif', (b) => startsWith(b, ascii('ftypheic'), 4) || startsWith(b, ascii('ftypmif1'), 4)],
  ['video/quicktime', (b) => startsWith(b, ascii('ftypqt'), 4)],
  ['audio/m4a', (b) => startsWith(b, ascii('ftypM4A'), 4)],
  ['video/mp4', (b) => startsWith(b, ascii('ftyp'), 4) && b.length >= 12],
  ['video/webm', (b) => startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])],
  ['audio/mpeg', (b) => startsWith(b, ascii('ID3')) || startsWith(b, [0xff, 0xfb]) || startsWith(b, [0xff, 0xf3]) || startsWith(b, [0xff, 0xf2])],
  ['audio/ogg', (b) => startsWith(b, ascii('OggS'))],
  ['audio/x-flac', (b) => startsWith(b, ascii('fLaC'))],
  ['application/pdf', (b) => startsWith(b, [0x25, 0x50, 0x44, 0x46])],
  ['application/zip', (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06])],
  ['application/gzip', (b) => startsWith(b, [0x1f, 0x8b, 0x08])],
  ['application/x-bzip2', (b) => startsWith(b, ascii('BZh'))],
  ['application/x-xz', (b) => startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['application/zstd', (b) => startsWith(b, [0x28, 0xb5, 0x2f, 0xfd])],
  ['application/x-7z-compressed', (b) => startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])],
  ['application/wasm', (b) => startsWith(b, [0x00, 0x61, 0x73, 0x6d])],
  ['application/x-sqlite3', (b) => startsWith(b, ascii('SQLite format 3\0'))],
  ['font/woff', (b) => startsWith(b, ascii('wOFF'))],
  ['font/woff2', (b) => startsWith(b, ascii('wOF2'))],
];

/** Extension table (mime_guess first match for the common cases). */
const EXTENSIONS: Record<string, string> = {
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  csv: 'text/csv',
  xml: 'text/xml',
  js: 'application/javascript',
  mjs: 'application/javascript',
  json: 'application/json',
  jsonld: 'application/ld+json',
  wasm: 'application/wasm',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  yaml: 'text/x-yaml',
  yml: 'text/x-yaml',
  toml: 'text/x-toml',
};

/** Type from magic bytes, or null. */
export function sniffContentType(firstChunk: Uint8Array): string | null {
  if (firstChunk.length === 0) return null;
  for (const [type, test] of MAGIC) if (test(firstChunk)) return type;
  return null;
}

/** Type from the last segment's extension, or null. */
export function contentTypeFromPath(path: string): string | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return null;
  return EXTENSIONS[name.slice(dot + 1).toLowerCase()] ?? null;
}

export function detectContentType(path: string, firstChunk: Uint8Array): string {
  return sniffContentType(firstChunk) ?? contentTypeFromPath(path) ?? OCTET;
}
