// Tests of registration, describe, and the WIT export dispatch: names, kinds, docs,
// not-found, IonError → error record, other exceptions → fault, and host imports via a fake.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, describe, ionName, IonError, Response, setHost, connect, q, getParams, getAppParams, cast, keyword } from '../src/index.js';
import * as ex from '../src/exports.js';
import { reset } from '../src/registry.js';
import { read } from '../src/edn/index.js';

const ctx = {
  awsRequestId: 'r1', functionName: 'g-echo', functionVersion: '$LATEST', invokedFunctionArn: 'arn', logGroupName: 'lg',
  logStreamName: 'ls', memoryLimitInMb: 128, deadlineMs: BigInt(Date.now() + 5000), identity: '{:id "x"}', clientContext: undefined,
};
const text = (bytes) => new TextDecoder().decode(bytes);

test('registration names, kinds and docs show in describe', () => {
  reset();
  const ion = app('my.app');
  ion.lambda(function get_schema() { return 's'; }, 'the schema');
  ion.lambda(function getItemsByType() { return 'i'; });
  ion.web(function web() { return Response.text(200, 'hi'); }, { doc: 'web' });
  ion.txFn(function createItem(_db, args) { return [args.length]; });
  ion.queryFn((args) => args.length > 0, { name: 'feature-item?' });
  ion.xform(function displayName(v) { return v; }, { name: 'other.ns/display' });
  const d = describe();
  assert.equal(d.sdk, 'ion-sdk-js 0.1.0');
  assert.deepEqual(d.fns, [
    { name: 'my.app/get-schema', kind: 'lambda', doc: 'the schema' },
    { name: 'my.app/get-items-by-type', kind: 'lambda', doc: undefined },
    { name: 'my.app/web', kind: 'web', doc: 'web' },
    { name: 'my.app/create-item', kind: 'tx-fn', doc: undefined },
    { name: 'my.app/feature-item?', kind: 'query-fn', doc: undefined },
    { name: 'other.ns/display', kind: 'xform', doc: undefined },
  ]);
  assert.deepEqual(ex.describe.describe(), d);
  assert.equal(ionName('getHTTPThing_x'), 'get-httpthing-x');
});

test('bad registrations name what was expected', () => {
  reset();
  const ion = app('my.app');
  assert.throws(() => app('a/b'), /expected a name such as "my.app"/);
  assert.throws(() => ion.lambda(() => 1), /needs a name/);
  assert.throws(() => ion.lambda('echo'), /takes a function/);
  assert.throws(() => ion.lambda(function f() {}, { nme: 'x' }), /unknown option "nme"/);
  ion.lambda(function f() {});
  assert.throws(() => ion.web(function f() {}), /registered twice/);
});

test('dispatch: results, IonError, faults, not-found', () => {
  reset();
  const ion = app('t');
  ion.lambda(function echo(input) { return input; });
  ion.lambda(function json() { return { a: [1, 'ü'] }; });
  ion.lambda(function bytes() { return new Uint8Array([0, 255]); });
  ion.lambda(function ctx(_i, c) { return { rem: c.remainingTimeInMillis() > 0, mem: c.memoryLimitInMB, id: c.identity }; });
  ion.lambda(function busy() { throw new IonError('busy', 'later', { 't/x': 1 }); });
  ion.lambda(function crash() { throw new RangeError('boom'); });
  ion.lambda(function nothing() {});
  ion.lambda(async function later() { return 1; });
  const call = (name, input = '{}') => ex.lambda.handle(name, input, ctx);
  assert.equal(text(call('t/echo', '{"a":"ü"}').val), '{"a":"ü"}');
  assert.equal(text(call('t/json').val), '{"a":[1,"ü"]}');
  assert.deepEqual([...call('t/bytes').val], [0, 255]);
  assert.deepEqual(JSON.parse(text(call('t/ctx').val)), { rem: true, mem: 128, id: { id: 'x' } });
  assert.deepEqual(call('t/busy'), { tag: 'err', val: { category: 'busy', message: 'later', data: '{:t/x 1}' } });
  assert.deepEqual(call('t/crash'), { tag: 'err', val: { category: 'fault', message: 'RangeError: boom', data: undefined } });
  assert.match(call('t/nothing').val.message, /returned undefined; expected a string/);
  assert.match(call('t/later').val.message, /returned a Promise/);
  assert.deepEqual(call('t/none'), { tag: 'err', val: { category: 'not-found', message: 'this component defines no lambda named t/none', data: undefined } });
  assert.equal(ex.web.handle('t/echo', {}).val.category, 'not-found');
});

test('web, tx-fn, query-fn and xform dispatch', () => {
  reset();
  const ion = app('t');
  ion.web(function web(r) {
    return { status: 201, headers: { 'x-q': r.queryParam('q') }, body: `${r.requestMethod} ${r.header('X-A')} ${r.bodyText()}` };
  });
  ion.web(function bad() { return { status: 'x' }; });
  ion.txFn(function tx(db, args) { return [[keyword('db/add'), 'e', keyword('a/b'), args[0]], db.basisT()]; });
  ion.queryFn(function qf(args) { return args.map((a) => (typeof a === 'object' && a !== null && 'raw' in a ? 'db' : a)); });
  ion.xform(function xf(v) { return v === null ? null : undefined; });
  const req = { requestMethod: 'post', uri: '/', queryString: 'q=a+b%21', headers: [['x-a', '1']], body: new TextEncoder().encode('ü'), protocol: 'HTTP/1.1', remoteAddr: '', scheme: 'http', serverName: 'h', serverPort: 80 };
  const r = ex.web.handle('t/web', req).val;
  assert.equal(r.status, 201);
  assert.deepEqual(r.headers, [['x-q', 'a b!']]);
  assert.equal(text(r.body), 'post 1 ü');
  assert.match(ex.web.handle('t/bad', req).val.message, /status is "x"; expected an integer HTTP status/);
  const fakeDb = { basisT: () => 7n };
  assert.deepEqual(ex.txFn.call('t/tx', fakeDb, ['"v"']), { tag: 'ok', val: '[[:db/add "e" :a/b "v"] 7]' });
  assert.match(ex.txFn.call('t/tx', fakeDb, ['[']).val.message, /argument 0 is not valid EDN/);
  assert.equal(ex.queryFn.call('t/qf', [{ tag: 'db', val: fakeDb }, { tag: 'value', val: ':k' }]).val, '["db" :k]');
  assert.equal(ex.xform.call('t/xf', 'nil').val, 'nil');
  assert.match(ex.xform.call('t/xf', ':a').val.message, /returned undefined; expected an EDN value/);
});

test('host imports go through setHost; host errors become IonError', () => {
  const calls = [];
  class FakeDatabase { basisT() { return 3n; } }
  setHost({
    env: {
      getEnv: () => '{:env :dev}',
      getAppInfo: () => '{:app-name "a" :params-prefix "p"}',
      getParams: (path) => {
        if (path === '/bad/') throw Object.assign(new Error('x'), { payload: { category: 'unavailable', message: 'ssm down', data: undefined } });
        calls.push(path);
        return [{ name: 'k', value: 'v' }];
      },
    },
    cast: { event: (t) => calls.push(t), alert() {}, metric() {}, dev() {} },
    db: {
      connect: (name) => ({ db: () => new FakeDatabase(), name }),
      q: (query, args) => {
        calls.push([query, args.map((a) => (a.tag === 'db' ? 'DB' : a.val))]);
        return '[["SKU-1" :small]]';
      },
    },
  });
  assert.deepEqual([...getParams('/a/')], [['k', 'v']]);
  assert.deepEqual([...getAppParams()], [['k', 'v']]);
  assert.equal(calls[1], '/p/dev/a/');
  assert.throws(() => getParams('/bad/'), (e) => e instanceof IonError && e.category === 'unavailable' && e.message === 'ssm down');
  cast.event({ msg: 'hi' });
  assert.equal(calls[2], '{:msg "hi"}');
  assert.throws(() => cast.event('hi'), /cast.event takes an EDN map/);
  const conn = connect('d');
  const res = q('[:find ?s :in $ ?t]', conn.db(), keyword('shirt'));
  assert.deepEqual(calls[3], ['[:find ?s :in $ ?t]', ['DB', ':shirt']]);
  assert.equal(res[0][1], read(':small'));
  assert.equal(conn.db().basisT(), 3);
});
