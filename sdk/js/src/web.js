// Web ions: the reference's Ring-style request and response maps as JavaScript classes, and
// the conversion of a handler's answer to the WIT `response` record.

import { print, read } from './edn/index.js';
import { EdnMap, describeValue, keyword } from './edn/types.js';
import { IonError } from './error.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An HTTP request (the reference's web ion input map). */
export class Request {
  /** From the WIT `request` record (camelCase fields). */
  constructor(r) {
    /** The verb, lower case: `get`, `post`. */
    this.requestMethod = r.requestMethod;
    /** The path, without the query string. */
    this.uri = r.uri;
    /** The query string without `?`, or null. */
    this.queryString = r.queryString ?? null;
    /** Headers in order, names lower case, as `[name, value]` pairs; repeats kept. */
    this.headers = r.headers ?? [];
    /** The body bytes (Uint8Array), or null. */
    this.body = r.body ?? null;
    /** `HTTP/1.1`. */
    this.protocol = r.protocol;
    /** The caller's address. */
    this.remoteAddr = r.remoteAddr;
    /** `http` or `https`. */
    this.scheme = r.scheme;
    /** The host name addressed. */
    this.serverName = r.serverName;
    /** The port addressed, or null. */
    this.serverPort = r.serverPort ?? null;
    /** Under an API Gateway proxy: the raw event JSON, else null. */
    this.apiGatewayJson = r.apiGatewayJson ?? null;
    let data = r.apiGatewayData ?? null;
    if (typeof data === 'string') {
      try {
        data = read(data);
      } catch {
        data = null;
      }
    }
    /** Under an API Gateway proxy: the event as EDN (keyword keys), else null. */
    this.apiGatewayData = data;
  }

  /** The first value of header `name` (case-insensitive), or null. */
  header(name) {
    const n = name.toLowerCase();
    const h = this.headers.find(([k]) => k.toLowerCase() === n);
    return h ? h[1] : null;
  }

  /** The first value of query parameter `name`, percent-decoded (`+` is a space), or null. */
  queryParam(name) {
    if (this.queryString === null) return null;
    for (const pair of this.queryString.split('&')) {
      const i = pair.indexOf('=');
      const [k, v] = i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
      if (decode(k) === name) return decode(v);
    }
    return null;
  }

  /** The body as UTF-8 text (empty when absent; invalid bytes replaced). */
  bodyText() {
    return this.body ? decoder.decode(this.body) : '';
  }

  /** The request as the reference's map; repeated headers joined with ", " as Ring does. */
  toEdn() {
    const headers = new Map();
    for (const [k, v] of this.headers) headers.set(k, headers.has(k) ? `${headers.get(k)}, ${v}` : v);
    const m = new EdnMap();
    const put = (k, v) => m.set(keyword(k), v);
    put('request-method', keyword(this.requestMethod));
    put('uri', this.uri);
    if (this.queryString !== null) put('query-string', this.queryString);
    put('headers', new EdnMap([...headers].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))));
    put('protocol', this.protocol);
    put('remote-addr', this.remoteAddr);
    put('scheme', keyword(this.scheme));
    put('server-name', this.serverName);
    if (this.serverPort !== null) put('server-port', this.serverPort);
    if (this.body !== null) put('body', this.bodyText());
    return m;
  }
}

/** Decodes `%XX` escapes and `+` (as a space) in a query-string component. */
function decode(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '+') out.push(32);
    else if (c === '%' && i + 2 < s.length + 0 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...encoder.encode(c));
  }
  return decoder.decode(new Uint8Array(out));
}

/** An HTTP response (the reference's web ion output map). */
export class Response {
  /** A response with `status`, `[name, value]` header pairs and a body (Uint8Array or string). */
  constructor(status, headers = [], body = new Uint8Array()) {
    this.status = status;
    this.headers = headers;
    this.body = typeof body === 'string' ? encoder.encode(body) : body;
  }
  /** A `text/plain; charset=utf-8` response. */
  static text(status, text) {
    return new Response(status, [['content-type', 'text/plain; charset=utf-8']], String(text));
  }
  /** An `application/edn` response with `value` printed. */
  static edn(status, value) {
    return new Response(status, [['content-type', 'application/edn']], print(value));
  }
  /** An `application/json` response with `value` stringified. */
  static json(status, value) {
    return new Response(status, [['content-type', 'application/json']], JSON.stringify(value));
  }
  /** A binary response: `bytes` (Uint8Array) with `contentType`. */
  static bytes(status, bytes, contentType = 'application/octet-stream') {
    return new Response(status, [['content-type', contentType]], bytes);
  }
  /** Adds a header (a name may be added more than once); returns this response. */
  header(name, value) {
    this.headers.push([name, value]);
    return this;
  }
  /** Sets the body (Uint8Array or string); returns this response. */
  withBody(body) {
    this.body = typeof body === 'string' ? encoder.encode(body) : body;
    return this;
  }
}

/**
 * Checks a web handler's answer (a Response, or a plain `{status, headers, body}` whose headers
 * may be pairs or an object and body a string or bytes) and returns a Response.
 */
export function toResponse(v, who) {
  if (v === null || typeof v !== 'object') {
    throw new IonError('fault', `${who} returned ${describeValue(v)}; expected a Response or {status, headers, body}`);
  }
  const { status } = v;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new IonError('fault', `${who} returned a response whose status is ${describeValue(status)}; expected an integer HTTP status such as 200`);
  }
  let headers = v.headers ?? [];
  if (!Array.isArray(headers)) headers = Object.entries(headers);
  headers = headers.map((h, i) => {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string') {
      throw new IonError('fault', `${who} returned a response whose headers[${i}] is ${describeValue(h)}; expected a [name, value] pair of strings`);
    }
    return [h[0], String(h[1])];
  });
  let body = v.body ?? new Uint8Array();
  if (typeof body === 'string') body = encoder.encode(body);
  else if (body instanceof ArrayBuffer) body = new Uint8Array(body);
  else if (ArrayBuffer.isView(body) && !(body instanceof Uint8Array)) body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (!(body instanceof Uint8Array)) {
    throw new IonError('fault', `${who} returned a response whose body is ${describeValue(body)}; expected a string or a Uint8Array`);
  }
  return new Response(status, headers, body);
}
