import { httpError } from '../http/errors.ts';
import { asDir, hrefOf } from './dav-path.ts';
import { notFound, type DavExchange, type DavServer } from './dav-server.ts';
import {
  childElements,
  expectRoot,
  isDav,
  MULTISTATUS_CLOSE,
  MULTISTATUS_OPEN,
  parseXmlBody,
  propKey,
  serialize,
  xmlEscape,
} from './dav-xml.ts';

/**
 * PROPPATCH (RFC 4918 §9.2): sets and removes dead properties, in document order, all or nothing.
 * Live properties (the DAV: namespace) are protected: such a request changes nothing, the DAV:
 * ones answer 403 and the others 424 Failed Dependency.
 */
export async function proppatch(server: DavServer, ex: DavExchange): Promise<void> {
  const root = parseXmlBody(await server.readXml(ex.req));
  if (root === null) throw httpError('DAV_INVALID_XML', 'PROPPATCH needs a DAV:propertyupdate body');
  expectRoot(root, 'propertyupdate');
  const r = ex.r;
  if (r.kind !== 'path') throw httpError('DAV_FORBIDDEN', 'Properties can be set on files and collections under /pub/ and /priv/ only');
  await server.existingUser(r.z32);
  const { file, dir } = await server.classify(r);
  if (!file && !dir) throw notFound();
  const path = file ? file.path : asDir(r.path);
  server.requireUnlocked(ex, r.z32, path);

  const ops: [key: string, xml: string | null, label: string, protectedProp: boolean][] = [];
  for (const action of childElements(root)) {
    const set = isDav(action, 'set');
    if (!set && !isDav(action, 'remove')) throw httpError('DAV_INVALID_XML', `unexpected ${action.localName} in DAV:propertyupdate`);
    const prop = childElements(action)[0];
    if (!prop || !isDav(prop, 'prop')) throw httpError('DAV_INVALID_XML', 'DAV:set and DAV:remove hold a DAV:prop');
    for (const el of childElements(prop)) {
      const ns = el.namespaceURI;
      const label =
        ns === 'DAV:' ? `<D:${el.localName}/>` : ns ? `<R:${el.localName} xmlns:R="${xmlEscape(ns)}"/>` : `<${el.localName} xmlns=""/>`;
      ops.push([propKey(ns, el.localName!), set ? serialize(el) : null, label, ns === 'DAV:']);
    }
  }
  const stat = (labels: string[], status: string) =>
    `<D:propstat><D:prop>${labels.join('')}</D:prop><D:status>HTTP/1.1 ${status}</D:status></D:propstat>`;
  let body: string;
  if (ops.some((o) => o[3])) {
    body =
      stat(
        ops.filter((o) => o[3]).map((o) => o[2]),
        '403 Forbidden',
      ) +
      (ops.some((o) => !o[3])
        ? stat(
            ops.filter((o) => !o[3]).map((o) => o[2]),
            '424 Failed Dependency',
          )
        : '');
  } else if (
    !server.props.apply(
      r.z32,
      path,
      ops.map(([k, v]) => [k, v]),
    )
  ) {
    body = stat(
      ops.map((o) => o[2]),
      '507 Insufficient Storage',
    );
  } else {
    body = stat(
      ops.map((o) => o[2]),
      '200 OK',
    );
  }
  server.sendXml(
    ex.res,
    207,
    `${MULTISTATUS_OPEN}<D:response><D:href>${xmlEscape(hrefOf(server.mount, r.z32, path))}</D:href>${body}</D:response>${MULTISTATUS_CLOSE}`,
  );
}
