// Tests of the EDN reader and printer: round trips (unicode, big ints, #inst, #uuid, tagged
// values, composite map keys, sets), equality, and errors naming what was expected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  read, print, equals, keyword, symbol, EdnMap, EdnSet, EdnList, EdnFloat, Tagged, UUID, Char,
  Decimal, EdnError, get, jsonToEdn, ednToJson,
} from '../src/edn/index.js';

const roundTrip = (text) => {
  const v = read(text);
  const printed = print(v);
  assert.ok(equals(read(printed), v), `${text} → ${printed} reads back equal`);
  return printed;
};

test('scalars read to JS values', () => {
  assert.equal(read('nil'), null);
  assert.equal(read('true'), true);
  assert.equal(read('false'), false);
  assert.equal(read('42'), 42);
  assert.equal(read('-7'), -7);
  assert.equal(read('1.5'), 1.5);
  assert.equal(read('"a\\nb\\t\\"c\\"\\\\"'), 'a\nb\t"c"\\');
  assert.equal(read('"\\u00fc"'), 'ü');
  assert.equal(read(':a'), keyword('a'));
  assert.equal(read(':my.ns/a'), keyword('my.ns/a'));
  assert.equal(read('my.ns/sym'), symbol('my.ns/sym'));
  assert.equal(read('\\a').char, 'a');
  assert.equal(read('\\newline').char, '\n');
  assert.equal(read('\\u00e9').char, 'é');
  assert.equal(read('##Inf'), Infinity);
  assert.equal(read('##-Inf'), -Infinity);
  assert.ok(Number.isNaN(read('##NaN')));
});

test('big integers are BigInt, small ones numbers', () => {
  assert.equal(read('9007199254740991'), 9007199254740991);
  assert.equal(read('9007199254740993'), 9007199254740993n);
  assert.equal(read('123456789012345678901234567890'), 123456789012345678901234567890n);
  assert.equal(read('5N'), 5n);
  assert.equal(print(123456789012345678901234567890n), '123456789012345678901234567890');
  assert.equal(roundTrip('-99999999999999999999999'), '-99999999999999999999999');
  assert.ok(equals(5n, 5));
});

test('floats keep their point; integers and floats differ', () => {
  assert.ok(read('1.0') instanceof EdnFloat);
  assert.equal(print(read('1.0')), '1.0');
  assert.equal(print(read('-0.0')), '-0.0');
  assert.equal(print(2.5), '2.5');
  assert.equal(print(Infinity), '##Inf');
  assert.equal(print(-Infinity), '##-Inf');
  assert.equal(print(NaN), '##NaN');
  assert.equal(print(1e300), '1e+300');
  assert.ok(!equals(read('1'), read('1.0')));
  assert.ok(read('1.5M') instanceof Decimal);
  assert.equal(roundTrip('1.50M'), '1.50M');
});

test('unicode strings, keywords and symbols round trip', () => {
  for (const text of ['"ü ß 日本 🎉"', ':ü/日本', 'λ', '"\\u0001 control"', '"emoji 🎉 \\"q\\""']) roundTrip(text);
  assert.equal(print('line\nbreak\u0001'), '"line\\nbreak\\u0001"');
  assert.equal(read(print('🎉')), '🎉');
});

test('#inst reads to a Date in UTC, ms precision', () => {
  const d = read('#inst "2020-01-01T00:00:00Z"');
  assert.ok(d instanceof Date);
  assert.equal(d.toISOString(), '2020-01-01T00:00:00.000Z');
  assert.equal(read('#inst "2020-01-01T01:00:00.123456+01:00"').toISOString(), '2020-01-01T00:00:00.123Z');
  assert.equal(read('#inst "2021"').toISOString(), '2021-01-01T00:00:00.000Z');
  assert.equal(print(new Date(Date.UTC(2024, 0, 31, 12))), '#inst "2024-01-31T12:00:00.000Z"');
  roundTrip('#inst "1999-12-31T23:59:59.999-00:00"');
  assert.throws(() => read('#inst "2020-02-30T00:00:00Z"'), /expected an RFC 3339 timestamp/);
  assert.throws(() => read('#inst 5'), /expected an RFC 3339 timestamp string/);
});

test('#uuid reads to a UUID', () => {
  const u = read('#uuid "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"');
  assert.ok(u instanceof UUID);
  assert.equal(print(u), '#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"');
  assert.throws(() => read('#uuid "nope"'), /expected a UUID string/);
});

test('other tags are kept as Tagged', () => {
  const t = read('#my/tag [1 2]');
  assert.ok(t instanceof Tagged);
  assert.equal(t.tag, 'my/tag');
  assert.equal(print(t), '#my/tag [1 2]');
});

test('collections: vectors, lists, maps with composite keys, sets', () => {
  const v = read('[1 (2 3) {:a 1}]');
  assert.ok(Array.isArray(v));
  assert.ok(v[1] instanceof EdnList);
  assert.equal(print(v), '[1 (2 3) {:a 1}]');
  const m = read('{[1 2] "vec", {:a 1} "map", #{1 2} "set", nil "nil", "s" 1}');
  assert.ok(m instanceof EdnMap);
  assert.equal(m.get([1, 2]), 'vec');
  assert.equal(m.get(read('{:a 1}')), 'map');
  assert.equal(m.get(new EdnSet([2, 1])), 'set');
  assert.equal(m.get(null), 'nil');
  assert.equal(m.get('s'), 1);
  roundTrip('{[1 2] "vec", {:a 1} "map", #{1 2} "set", nil "nil"}');
  const s = read('#{[1 2] :a "b" #{3}}');
  assert.ok(s instanceof EdnSet);
  assert.ok(s.has([1, 2]) && s.has(keyword('a')) && s.has('b') && s.has(new Set([3])));
  roundTrip('#{[1 2] :a "b" #{3}}');
  assert.ok(equals(read('{:a 1 :b 2}'), read('{:b 2 :a 1}')));
  assert.ok(equals(read('#{1 2 3}'), read('#{3 2 1}')));
});

test('plain objects and Maps print as maps', () => {
  assert.equal(print({ a: 1, 'my.ns/b': [true, null] }), '{:a 1, :my.ns/b [true nil]}');
  assert.equal(print(new Map([['k', 1]])), '{"k" 1}');
  assert.equal(print(new Set(['x'])), '#{"x"}');
  assert.equal(get(read('{:type "shirt"}'), 'type'), 'shirt');
  assert.equal(get({ type: 'hat' }, 'type'), 'hat');
});

test('comments, commas and #_ discards are skipped', () => {
  assert.ok(equals(read('; c\n[1, 2 #_ 3 #_ #_ 4 5 ;x\n 6]'), [1, 2, 6]));
  assert.ok(equals(read('{:a #_ :b 1}'), { a: 1 }));
});

test('chars print back', () => {
  assert.equal(print(new Char('a')), '\\a');
  assert.equal(print(new Char(' ')), '\\space');
  roundTrip('[\\a \\newline \\tab \\ü]');
});

test('errors name the place and what was expected', () => {
  const cases = [
    ['', /expected an EDN value at line 1 column 1, found the end of the text/],
    ['[1 2', /expected "\]" to close a vector opened at line 1 column 1/],
    ['{:a}', /expected a map with an even number of forms/],
    ['{:a 1 :a 2}', /expected distinct map keys/],
    ['#{1 1}', /expected distinct set members/],
    ['"abc', /expected a closing quote/],
    ['"\\q"', /expected a string escape/],
    ['1 2', /expected the end of the text after one value at line 1 column 3/],
    [')', /found an unmatched "\)"/],
    ['##Foo', /expected ##Inf, ##-Inf or ##NaN/],
    ['1.2.3', /expected a number/],
    ['\n  :', /expected a keyword .* at line 2 column 3/],
  ];
  for (const [text, re] of cases) assert.throws(() => read(text), (e) => e instanceof EdnError && re.test(e.message), text);
  assert.throws(() => read(5), /EDN text must be a string/);
  assert.throws(() => print(undefined), /undefined; expected an EDN value/);
  assert.throws(() => print({ a: () => 1 }), /value of :a: it is a function/);
  assert.throws(() => print([new (class Foo {})()]), /\[0\]: it is a Foo/);
});

test('JSON ⇄ EDN', () => {
  const e = jsonToEdn({ functionName: 'f', n: null, xs: [1, 'a'] });
  assert.equal(print(e), '{:functionName "f", :n nil, :xs [1 "a"]}');
  assert.deepEqual(ednToJson(read('{:a #{1} :b/c (1 2) "d" :e}')), { a: [1], 'b/c': [1, 2], d: 'e' });
});
