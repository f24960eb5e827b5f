// Tests of ionize and the API Gateway event reader/response writer with AWS's documented v1
// and v2 sample events (tests/cases/api-gateway/), mirroring sdk/rust/apigw's tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ionize, Response, IonError, edn } from '../src/index.js';
import { parseEvent, responseJson, base64Decode, base64Encode } from '../src/apigw.js';

const CASES = fileURLToPath(new URL('../../../tests/cases/api-gateway/', import.meta.url));
const sample = (name) => readFileSync(CASES + name, 'utf8');
const bytes = (s) => new TextEncoder().encode(s);

/** Parses sample `name`, checks the json/data fields, and returns the request parts. */
function parsed(name) {
  const text = sample(name);
  const { version, request } = parseEvent(text);
  assert.equal(request.apiGatewayJson, text);
  assert.ok(edn.equals(request.apiGatewayData, edn.jsonToEdn(JSON.parse(text))));
  return { version, ...request };
}

const strip = ({ apiGatewayJson, apiGatewayData, ...rest }) => rest;

test('REST API sample: multi-value headers and query, base64 body', () => {
  const r = parsed('rest-v1.json');
  assert.ok(edn.print(r.apiGatewayData).includes(':multiValueQueryStringParameters {:foo ["bar"]}'));
  assert.deepEqual(strip(r), {
    version: 1, requestMethod: 'post', uri: '/path/to/resource', queryString: 'foo=bar',
    headers: [
      ['accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8'],
      ['accept-encoding', 'gzip, deflate, sdch'], ['accept-language', 'en-US,en;q=0.8'], ['cache-control', 'max-age=0'],
      ['cloudfront-forwarded-proto', 'https'], ['cloudfront-is-desktop-viewer', 'true'], ['cloudfront-is-mobile-viewer', 'false'],
      ['cloudfront-is-smarttv-viewer', 'false'], ['cloudfront-is-tablet-viewer', 'false'], ['cloudfront-viewer-country', 'US'],
      ['host', '0123456789.execute-api.us-east-1.amazonaws.com'], ['upgrade-insecure-requests', '1'],
      ['user-agent', 'Custom User Agent String'], ['via', '1.1 08f323deadbeefa7af34d5feb414ce27.cloudfront.net (CloudFront)'],
      ['x-amz-cf-id', 'cDehVQoZnx43VYQb9j2-nvCh-9z396Uhbp027Y2JvkCPNLmGJHqlaA=='], ['x-forwarded-for', '127.0.0.1, 127.0.0.2'],
      ['x-forwarded-port', '443'], ['x-forwarded-proto', 'https'],
    ],
    body: bytes('{"test":"body"}'), protocol: 'HTTP/1.1', remoteAddr: '127.0.0.1', scheme: 'https',
    serverName: '0123456789.execute-api.us-east-1.amazonaws.com', serverPort: 443,
  });
});

test('HTTP API v2 sample: raw query kept, cookies joined', () => {
  const r = parsed('http-v2.json');
  assert.ok(edn.print(r.apiGatewayData).includes(':cookies ["cookie1" "cookie2"]'));
  assert.deepEqual(strip(r), {
    version: 2, requestMethod: 'post', uri: '/my/path', queryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    headers: [['cookie', 'cookie1; cookie2'], ['header1', 'value1'], ['header2', 'value1,value2']],
    body: bytes('Hello from Lambda'), protocol: 'HTTP/1.1', remoteAddr: '192.0.2.1', scheme: 'https',
    serverName: 'id.execute-api.us-east-1.amazonaws.com', serverPort: null,
  });
});

test('HTTP API v1 sample: repeated multi-value headers and parameters', () => {
  assert.deepEqual(strip(parsed('http-v1.json')), {
    version: 1, requestMethod: 'get', uri: '/my/path', queryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    headers: [['header1', 'value1'], ['header2', 'value1'], ['header2', 'value2']],
    body: bytes('Hello from Lambda!'), protocol: 'HTTP/1.1', remoteAddr: '192.0.2.1', scheme: 'https',
    serverName: 'id.execute-api.us-east-1.amazonaws.com', serverPort: null,
  });
});

test('binary sample: body decoded, query encoded, forwarding headers read', () => {
  assert.deepEqual(strip(parsed('rest-v1-binary.json')), {
    version: 1, requestMethod: 'put', uri: '/images/logo.png', queryString: 'note=a%20b%26c%3Dd&tag=%C3%A9',
    headers: [['content-type', 'image/png'], ['host', 'example.com:8443'], ['x-forwarded-for', '203.0.113.7'],
      ['x-forwarded-port', '8443'], ['x-forwarded-proto', 'http']],
    body: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff]),
    protocol: 'HTTP/2.0', remoteAddr: '203.0.113.7', scheme: 'http', serverName: 'example.com', serverPort: 8443,
  });
});

test('minimal events get defaults', () => {
  const v1 = parseEvent('{"httpMethod": "GET", "path": "/", "body": null}').request;
  assert.deepEqual([v1.requestMethod, v1.uri, v1.queryString, v1.body, v1.headers.length, v1.protocol, v1.remoteAddr, v1.scheme, v1.serverName, v1.serverPort],
    ['get', '/', null, null, 0, 'HTTP/1.1', '', 'https', '', null]);
  assert.equal(edn.print(v1.apiGatewayData), '{:httpMethod "GET", :path "/", :body nil}');
  const v2 = parseEvent('{"version": "2.0", "rawPath": "/", "rawQueryString": "", "cookies": [], "body": "", "requestContext": {"http": {"method": "DELETE"}}}');
  assert.equal(v2.version, 2);
  assert.deepEqual([v2.request.requestMethod, v2.request.queryString, v2.request.headers.length, v2.request.body.length], ['delete', null, 0, 0]);
});

test('forwarding headers are read with care', () => {
  const w = (h) => {
    const r = parseEvent(`{"httpMethod": "GET", "path": "/", "headers": ${h}}`).request;
    return [r.scheme, r.serverName, r.serverPort];
  };
  assert.deepEqual(w('{"X-Forwarded-Proto": "wss", "X-Forwarded-Port": "70000", "Host": "[::1]:80"}'), ['https', '[::1]', null]);
  assert.deepEqual(w('{"X-Forwarded-Proto": "HTTP, https", "X-Forwarded-Port": "+80", "Host": "a:b"}'), ['http', 'a:b', null]);
  assert.deepEqual(w('{"X-Forwarded-Port": " 8080 ", "Host": ""}'), ['https', '', 8080]);
});

test('malformed events name the field and what was expected', () => {
  const cases = [
    ['[1]', 'the event is an array; expected a JSON object'],
    ['{}', 'neither `httpMethod` nor `version` is present; expected a REST API proxy event or an HTTP API event of payload format 1.0 or 2.0'],
    ['{"version": "1.0"}', '`httpMethod` is missing; expected a string such as "GET"'],
    ['{"version": "3.0"}', '`version` is "3.0"; expected "1.0" or "2.0"'],
    ['{"version": 2}', '`version` is 2; expected "1.0" or "2.0"'],
    ['{"httpMethod": null, "path": "/"}', '`httpMethod` is null; expected a string such as "GET"'],
    ['{"httpMethod": "GE T", "path": "/"}', '`httpMethod` is "GE T"; expected a string such as "GET"'],
    ['{"httpMethod": "GETGETGETGETGETGETGETGETGETGETGETGETGETGET!?", "path": "/"}', '`httpMethod` is "GETGETGETGETGETGETGETGETGETGETGETGETGETG"…; expected a string such as "GET"'],
    ['{"httpMethod": "GET"}', '`path` is missing; expected a string such as "/my/path"'],
    ['{"httpMethod": "GET", "path": "/", "multiValueHeaders": {"Accept": "*/*"}}', '`multiValueHeaders.Accept` is "*/*"; expected an array of strings'],
    ['{"httpMethod": "POST", "path": "/", "isBase64Encoded": true, "body": "!!"}', '`body` is not valid base64 although `isBase64Encoded` is true; expected standard base64 text'],
  ];
  for (const [event, message] of cases) {
    assert.throws(() => ionize(() => Response.text(200, ''), event), (e) => e instanceof IonError && e.category === 'incorrect' && e.message === `API Gateway event: ${message}`, event);
  }
  assert.throws(() => ionize(() => null, ''), /the text is not JSON .*; expected a proxy event object/);
});

test('responses: text, base64, header shapes and cookies', () => {
  const out = (version, headers, body) => JSON.parse(responseJson(version, new Response(200, headers, body)));
  assert.deepEqual(out(1, [['Content-Type', 'text/plain; charset=utf-8']], 'héllo'), {
    statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' },
    multiValueHeaders: { 'content-type': ['text/plain; charset=utf-8'] }, body: 'héllo', isBase64Encoded: false,
  });
  const bin = out(2, [['content-type', 'image/png'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x', '1'], ['X', '2']], new Uint8Array([0x89, 0, 0xff]));
  assert.deepEqual(bin, {
    statusCode: 200, body: 'iQD/', isBase64Encoded: true, cookies: ['a=1', 'b=2'],
    headers: { 'content-type': 'image/png', x: '1, 2' },
    multiValueHeaders: { 'content-type': ['image/png'], 'set-cookie': ['a=1', 'b=2'], x: ['1', '2'] },
  });
  assert.equal(out(1, [['set-cookie', 'a=1'], ['set-cookie', 'b=2']], '').headers['set-cookie'], 'b=2');
  assert.equal(out(1, [], new Uint8Array([0xff])).isBase64Encoded, true);
  assert.equal(out(1, [], 'plain').isBase64Encoded, false);
  assert.equal(out(1, [['content-type', 'application/vnd.x+json']], '{}').isBase64Encoded, false);
});

test('ionize runs a web handler on the v2 sample', () => {
  const handler = (req) => Response.edn(200, { m: req.requestMethod, b: req.bodyText(), q: req.queryParam('parameter1'), c: req.header('Cookie'), gw: req.apiGatewayData !== null });
  const res = JSON.parse(ionize(handler, sample('http-v2.json')));
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, '{:m "post", :b "Hello from Lambda", :q "value1", :c "cookie1; cookie2", :gw true}');
  assert.deepEqual(res.cookies, []);
  const v1 = JSON.parse(ionize(() => Response.bytes(201, new Uint8Array([1, 2, 3])), sample('rest-v1-binary.json')));
  assert.deepEqual([v1.statusCode, v1.body, v1.isBase64Encoded, 'cookies' in v1], [201, 'AQID', true, false]);
});

test('base64 padded or not', () => {
  assert.deepEqual([...base64Decode('aGk')], [...bytes('hi')]);
  assert.deepEqual([...base64Decode('aGk=')], [...bytes('hi')]);
  assert.equal(base64Decode('a'), null);
  assert.equal(base64Encode(bytes('hi!?')), 'aGkhPw==');
});
