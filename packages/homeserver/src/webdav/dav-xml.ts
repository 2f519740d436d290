import { DOMParser, XMLSerializer, type Element } from '@xmldom/xmldom';
import { httpError, type HttpError } from '../http/errors.ts';

/** XML of WebDAV request and response bodies (RFC 4918 §14), namespace-aware through @xmldom/xmldom. */

export const DAV_NS = 'DAV:';

/** A property's name as `{namespace}local` (`{}` for no namespace). */
export const propKey = (ns: string | null, local: string): string => `{${ns ?? ''}}${local}`;

export const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const invalidXml = (why: string): HttpError => httpError('DAV_INVALID_XML', why);

/**
 * Parses a request body. Empty → null. Anything not well-formed (or with a DOCTYPE: no entity
 * expansion, ever) is a 400, whatever the method would otherwise answer.
 */
export function parseXmlBody(body: Buffer): Element | null {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  if (text.trim() === '') return null;
  if (/<!DOCTYPE/i.test(text)) throw invalidXml('DOCTYPE declarations are not accepted');
  let problem: string | null = null;
  const parser = new DOMParser({
    onError: (level: string, message: string) => {
      if (level !== 'warning') problem ??= message;
    },
  });
  let root: Element | null = null;
  try {
    root = parser.parseFromString(text, 'application/xml').documentElement;
  } catch (e) {
    problem ??= (e as Error).message;
  }
  if (problem !== null || !root)
    throw invalidXml(
      String(problem ?? 'no root element')
        .split('\n')[0]!
        .slice(0, 200),
    );
  return root;
}

/** Element children of `el`, in order. */
export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

export const isDav = (el: Element, local: string): boolean => el.namespaceURI === DAV_NS && el.localName === local;

/** The element, serialized on its own (with the namespace declarations it needs). */
export function serialize(el: Element): string {
  return new XMLSerializer().serializeToString(el);
}

/** Requires the body's root to be `DAV:<local>`, else 400. */
export function expectRoot(root: Element, local: string): Element {
  if (!isDav(root, local)) throw invalidXml(`expected a DAV:${local} element, got ${root.localName}`);
  return root;
}

export const MULTISTATUS_OPEN = '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">';
export const MULTISTATUS_CLOSE = '</D:multistatus>';
