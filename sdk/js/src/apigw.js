// API Gateway Lambda proxy events inside a guest: a proxy event (REST API, HTTP API payload
// 1.0 or 2.0) → Request, a Response → the proxy response JSON. A port of sdk/rust/apigw, so
// JS ions read and answer events exactly as the host and Rust ions do.

import { print, jsonToEdn } from './edn/index.js';
import { IonError } from './error.js';
import { Request, toResponse } from './web.js';

const METHOD = 'a string such as "GET"';
const PATH = 'a string such as "/my/path"';
const encoder = new TextEncoder();

class EventError extends Error {}
const fail = (message) => {
  throw new EventError(`API Gateway event: ${message}`);
};

/** A short rendering of a JSON value for messages: scalars as JSON, containers by kind. */
function describe(v) {
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  if (typeof v === 'string' && [...v].length > 40) return `${JSON.stringify([...v].slice(0, 40).join(''))}…`;
  return JSON.stringify(v);
}
const missing = (path, expected) => fail(`\`${path}\` is missing; expected ${expected}`);
const mismatch = (path, v, expected) => fail(`\`${path}\` is ${describe(v)}; expected ${expected}`);
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const present = (o, k) => (has(o, k) && o[k] !== null ? o[k] : undefined);

function requiredStr(o, k, path, expected) {
  if (!has(o, k)) return missing(path, expected);
  return typeof o[k] === 'string' ? o[k] : mismatch(path, o[k], expected);
}
function requiredObj(o, k, path) {
  if (!has(o, k)) return missing(path, 'an object');
  return isObj(o[k]) ? o[k] : mismatch(path, o[k], 'an object');
}
function optionalStr(o, k, path) {
  const v = present(o, k);
  if (v === undefined) return null;
  return typeof v === 'string' ? v : mismatch(path, v, 'a string');
}
function optionalObj(o, k, path) {
  const v = present(o, k);
  if (v === undefined) return null;
  return isObj(v) ? v : mismatch(path, v, 'an object');
}
const optionalIn = (o, k, path) => (o ? optionalStr(o, k, path) : null);

function strings(v, path) {
  if (!Array.isArray(v)) return mismatch(path, v, 'an array of strings');
  return v.map((s, i) => (typeof s === 'string' ? s : mismatch(`${path}[${i}]`, s, 'a string')));
}
function singleValues(map, path) {
  return Object.keys(map).sort().map((n) => (typeof map[n] === 'string' ? [n, map[n]] : mismatch(`${path}.${n}`, map[n], 'a string')));
}
function multiValues(map, path) {
  const out = [];
  for (const n of Object.keys(map).sort()) for (const v of strings(map[n], `${path}.${n}`)) out.push([n, v]);
  return out;
}
function pairsOf(o, multi, single) {
  const m = optionalObj(o, multi, multi);
  if (m && Object.keys(m).length > 0) return multiValues(m, multi);
  const s = optionalObj(o, single, single);
  return s ? singleValues(s, single) : [];
}
function checkMethod(v, path) {
  return v !== '' && /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(v) ? v : mismatch(path, v, METHOD);
}
function percentEncode(text) {
  let out = '';
  for (const b of encoder.encode(text)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function detect(o) {
  const v = present(o, 'version');
  if (v === '2.0') return 2;
  if (v === '1.0') return 1;
  if (v !== undefined) return mismatch('version', v, '"1.0" or "2.0"');
  if (has(o, 'httpMethod')) return 1;
  return fail('neither `httpMethod` nor `version` is present; expected a REST API proxy event or an HTTP API event of payload format 1.0 or 2.0');
}

function v1(o) {
  const method = checkMethod(requiredStr(o, 'httpMethod', 'httpMethod', METHOD), 'httpMethod');
  const path = requiredStr(o, 'path', 'path', PATH);
  const headers = pairsOf(o, 'multiValueHeaders', 'headers');
  const params = pairsOf(o, 'multiValueQueryStringParameters', 'queryStringParameters').sort(byName);
  const ctx = optionalObj(o, 'requestContext', 'requestContext');
  const identity = ctx ? optionalObj(ctx, 'identity', 'requestContext.identity') : null;
  const qs = params.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join('&');
  return {
    method, path, headers, query: qs === '' ? null : qs,
    protocol: optionalIn(ctx, 'protocol', 'requestContext.protocol'),
    remoteAddr: optionalIn(identity, 'sourceIp', 'requestContext.identity.sourceIp'),
    domainName: optionalIn(ctx, 'domainName', 'requestContext.domainName'),
  };
}

function v2(o) {
  const ctx = requiredObj(o, 'requestContext', 'requestContext');
  const http = requiredObj(ctx, 'http', 'requestContext.http');
  const method = checkMethod(requiredStr(http, 'method', 'requestContext.http.method', METHOD), 'requestContext.http.method');
  const path = requiredStr(o, 'rawPath', 'rawPath', PATH);
  const q = optionalStr(o, 'rawQueryString', 'rawQueryString');
  const h = optionalObj(o, 'headers', 'headers');
  const headers = h ? singleValues(h, 'headers') : [];
  const cookies = present(o, 'cookies');
  if (cookies !== undefined) {
    const list = strings(cookies, 'cookies');
    if (list.length > 0) headers.push(['cookie', list.join('; ')]);
  }
  return {
    method, path, headers, query: q === null || q === '' ? null : q,
    protocol: optionalStr(http, 'protocol', 'requestContext.http.protocol'),
    remoteAddr: optionalStr(http, 'sourceIp', 'requestContext.http.sourceIp'),
    domainName: optionalStr(ctx, 'domainName', 'requestContext.domainName'),
  };
}

function body(o) {
  const enc = present(o, 'isBase64Encoded');
  if (enc !== undefined && typeof enc !== 'boolean') mismatch('isBase64Encoded', enc, 'true or false');
  const text = optionalStr(o, 'body', 'body');
  if (text === null) return null;
  if (!enc) return encoder.encode(text);
  const bytes = base64Decode(text);
  return bytes ?? fail('`body` is not valid base64 although `isBase64Encoded` is true; expected standard base64 text');
}

const firstItem = (v) => v.split(',')[0].trim();
function stripPort(host) {
  host = host.trim();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const i = host.lastIndexOf(':');
  if (i < 0) return host;
  const name = host.slice(0, i);
  const port = host.slice(i + 1);
  return !name.includes(':') && /^\d*$/.test(port) ? name : host;
}

/** Reads a proxy event (JSON text) as the parts of a Request plus the payload version. */
export function parseEvent(eventJson) {
  let event;
  try {
    event = JSON.parse(eventJson);
  } catch (e) {
    fail(`the text is not JSON (${e.message}); expected a proxy event object`);
  }
  if (!isObj(event)) fail(`the event is ${describe(event)}; expected a JSON object`);
  const version = detect(event);
  const p = version === 2 ? v2(event) : v1(event);
  const headers = p.headers.map(([n, v]) => [n.toLowerCase(), v]).sort(byName);
  const header = (n) => headers.find(([k]) => k === n)?.[1];
  const proto = header('x-forwarded-proto');
  const scheme = proto !== undefined && firstItem(proto).toLowerCase() === 'http' ? 'http' : 'https';
  const host = header('host');
  const hostName = host === undefined ? '' : stripPort(host);
  const port = header('x-forwarded-port');
  const portText = port === undefined ? '' : firstItem(port);
  const portNum = /^\d+$/.test(portText) ? Number(portText) : NaN;
  return {
    version,
    request: {
      requestMethod: p.method.toLowerCase(),
      uri: p.path,
      queryString: p.query,
      headers,
      body: body(event),
      protocol: p.protocol ?? 'HTTP/1.1',
      remoteAddr: p.remoteAddr ?? '',
      scheme,
      serverName: hostName !== '' ? hostName : p.domainName ?? '',
      serverPort: portNum >= 0 && portNum <= 65535 ? portNum : null,
      apiGatewayJson: eventJson,
      apiGatewayData: jsonToEdn(event),
    },
  };
}

function isTextual(ct) {
  const media = ct.split(';')[0].trim().toLowerCase();
  return media.startsWith('text/') || ['application/json', 'application/edn', 'application/xml', 'application/javascript'].includes(media)
    || media.endsWith('+json') || media.endsWith('+xml');
}

/** Writes a Response as the proxy response JSON API Gateway expects for `version` (1 or 2). */
export function responseJson(version, response) {
  const multi = new Map();
  for (const [n, v] of response.headers) {
    const name = n.toLowerCase();
    if (multi.has(name)) multi.get(name).push(v);
    else multi.set(name, [v]);
  }
  const names = [...multi.keys()].sort();
  const single = {};
  const multiObj = {};
  const cookies = [];
  for (const name of names) {
    const values = multi.get(name);
    multiObj[name] = values;
    if (name === 'set-cookie') {
      cookies.push(...values);
      if (version === 1) single[name] = values[values.length - 1];
    } else single[name] = values.join(', ');
  }
  const ct = response.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
  let text = null;
  if (ct === undefined || isTextual(ct)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
    } catch {
      text = null;
    }
  }
  // Keys in sorted order, as the Rust SDK's serde_json map writes them.
  const out = {
    body: text ?? base64Encode(response.body),
  };
  if (version === 2) out.cookies = cookies;
  out.headers = single;
  out.isBase64Encoded = text === null;
  out.multiValueHeaders = multiObj;
  out.statusCode = response.status;
  return JSON.stringify(out);
}

/**
 * Runs web handler `handler` as a lambda behind an API Gateway proxy, as Datomic's
 * `datomic.ion.lambda.api-gateway/ionize`: `eventJson` is the proxy event; the answer is the
 * proxy response JSON text. A malformed event is an `incorrect` IonError naming the field.
 */
export function ionize(handler, eventJson) {
  let parsed;
  try {
    parsed = parseEvent(eventJson);
  } catch (e) {
    if (e instanceof EventError) throw new IonError('incorrect', e.message);
    throw e;
  }
  const response = toResponse(handler(new Request(parsed.request)), 'the ionized web handler');
  return responseJson(parsed.version, response);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding. */
export function base64Encode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

/** Standard base64, padded or not; null when invalid. */
export function base64Decode(text) {
  let t = text;
  if (t.length % 4 === 0 && t.endsWith('==')) t = t.slice(0, -2);
  else if (t.length % 4 === 0 && t.endsWith('=')) t = t.slice(0, -1);
  if (!/^[A-Za-z0-9+/]*$/.test(t) || t.length % 4 === 1) return null;
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const c of t) {
    acc = (acc << 6) | B64.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 255);
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return null;
  return new Uint8Array(out);
}
