/**
 * Join an upstream base URL and the path the app requested. A base with a path whose tail the
 * app already sends (`https://api.openai.com/v1` + `/v1/chat/completions`) is not doubled, so
 * users can pass either form.
 */
export function joinUpstream(base: URL, incomingPath: string): URL {
  const basePath = base.pathname.replace(/\/+$/, '');
  const [path, query] = splitQuery(incomingPath);
  let joined: string;
  if (basePath === '' || path === basePath || path.startsWith(`${basePath}/`)) joined = path;
  else {
    const lastSegment = basePath.slice(basePath.lastIndexOf('/'));
    joined = path.startsWith(`${lastSegment}/`) ? `${basePath.slice(0, -lastSegment.length)}${path}` : `${basePath}${path}`;
  }
  const out = new URL(base.origin);
  out.pathname = joined;
  out.search = query;
  return out;
}

function splitQuery(p: string): [string, string] {
  const q = p.indexOf('?');
  return q < 0 ? [p, ''] : [p.slice(0, q), p.slice(q)];
}

/** The origin (and path) without credentials, for traces and error messages. */
export function describeUpstream(u: URL): string {
  const copy = new URL(u.toString());
  copy.username = '';
  copy.password = '';
  copy.search = '';
  return copy.toString().replace(/\/$/, '');
}
