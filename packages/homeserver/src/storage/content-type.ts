/**
 * Content-Type of a stored file (spec §2.6): magic bytes of the first chunk, else the file
 * extension, else `application/octet-stream`. The request's own Content-Type is ignored.
 */

const OCTET = 'application/octet-stream';

/** One way a type can match: every (offset, bytes) pair present. */
type Signature = Array<[offset: number, bytes: number[]]>;

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * Ordered like the `infer` crate's matchers for the types that overlap (e.g. webp/wav are RIFF).
 * Each type matches if any of its signatures does and the chunk has at least `min` bytes.
 */
const MAGIC: Array<{ type: string; any: Signature[]; min?: number }> = [
  { type: 'image/png', any: [[[0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]]]] },
  { type: 'image/jpeg', any: [[[0, [0xff, 0xd8, 0xff]]]] },
  { type: 'image/gif', any: [[[0, ascii('GIF87a')]], [[0, ascii('GIF89a')]]] },
  {
    type: 'image/webp',
    any: [
      [
        [0, ascii('RIFF')],
        [8, ascii('WEBP')],
      ],
    ],
  },
  {
    type: 'audio/x-wav',
    any: [
      [
        [0, ascii('RIFF')],
        [8, ascii('WAVE')],
      ],
    ],
  },
  {
    type: 'video/x-msvideo',
    any: [
      [
        [0, ascii('RIFF')],
        [8, ascii('AVI ')],
      ],
    ],
  },
  { type: 'image/bmp', any: [[[0, [0x42, 0x4d]]]], min: 14 },
  { type: 'image/x-icon', any: [[[0, [0x00, 0x00, 0x01, 0x00]]]] },
  { type: 'image/tiff', any: [[[0, [0x49, 0x49, 0x2a, 0x00]]], [[0, [0x4d, 0x4d, 0x00, 0x2a]]]] },
  { type: 'image/avif', any: [[[4, ascii('ftypavif')]]] },
  { type: 'image/heif', any: [[[4, ascii('ftypheic')]], [[4, ascii('ftypmif1')]]] },
  { type: 'video/quicktime', any: [[[4, ascii('ftypqt')]]] },
  { type: 'audio/m4a', any: [[[4, ascii('ftypM4A')]]] },
  { type: 'video/mp4', any: [[[4, ascii('ftyp')]]], min: 12 },
  { type: 'video/webm', any: [[[0, [0x1a, 0x45, 0xdf, 0xa3]]]] },
  { type: 'audio/mpeg', any: [[[0, ascii('ID3')]], [[0, [0xff, 0xfb]]], [[0, [0xff, 0xf3]]], [[0, [0xff, 0xf2]]]] },
  { type: 'audio/ogg', any: [[[0, ascii('OggS')]]] },
  { type: 'audio/x-flac', any: [[[0, ascii('fLaC')]]] },
  { type: 'application/pdf', any: [[[0, [0x25, 0x50, 0x44, 0x46]]]] },
  { type: 'application/zip', any: [[[0, [0x50, 0x4b, 0x03, 0x04]]], [[0, [0x50, 0x4b, 0x05, 0x06]]]] },
  { type: 'application/gzip', any: [[[0, [0x1f, 0x8b, 0x08]]]] },
  { type: 'application/x-bzip2', any: [[[0, ascii('BZh')]]] },
  { type: 'application/x-xz', any: [[[0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]]]] },
  { type: 'application/zstd', any: [[[0, [0x28, 0xb5, 0x2f, 0xfd]]]] },
  { type: 'application/x-7z-compressed', any: [[[0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]]]] },
  { type: 'application/wasm', any: [[[0, [0x00, 0x61, 0x73, 0x6d]]]] },
  { type: 'application/x-sqlite3', any: [[[0, ascii('SQLite format 3\0')]]] },
  { type: 'font/woff', any: [[[0, ascii('wOFF')]]] },
  { type: 'font/woff2', any: [[[0, ascii('wOF2')]]] },
];

function matches(b: Uint8Array, sig: Signature): boolean {
  for (const [offset, bytes] of sig) {
    if (b.length < offset + bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) if (b[offset + i] !== bytes[i]) return false;
  }
  return true;
}

/**
 * Per first byte, the types (in MAGIC order) whose signatures that byte does not rule out: most
 * bodies are tested against a handful of signatures instead of all of them.
 */
const CANDIDATES: Array<typeof MAGIC> = Array.from({ length: 256 }, (_, first) =>
  MAGIC.filter((m) => m.any.some((sig) => sig.every(([offset, bytes]) => offset !== 0 || bytes[0] === first))),
);

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
  for (const m of CANDIDATES[firstChunk[0]!]!) {
    if (m.min !== undefined && firstChunk.length < m.min) continue;
    for (const sig of m.any) if (matches(firstChunk, sig)) return m.type;
  }
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
