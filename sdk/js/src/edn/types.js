// EDN value types for JavaScript: keywords, symbols, chars, tagged values, UUIDs, floats
// with an integral value, decimals, lists, maps and sets with value-equality keys, and the
// equality (`equals`) and hashing (`keyOf`) every one of them shares.
//
// The mapping: nil ⇄ null, booleans ⇄ booleans, integers ⇄ numbers (BigInt beyond
// Number.MAX_SAFE_INTEGER, or with an `N` suffix), floats ⇄ numbers (an integral float such
// as `1.0` reads as an EdnFloat so it prints back as a float), strings ⇄ strings, vectors ⇄
// arrays, lists ⇄ EdnList (an Array), maps ⇄ EdnMap (plain objects and Maps print as maps,
// object keys as keywords), sets ⇄ EdnSet (Sets print as sets), #inst ⇄ Date, #uuid ⇄ UUID.

/** Thrown for unreadable EDN text and for values that cannot be printed as EDN. */
export class EdnError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EdnError';
  }
}

const keywords = new Map();
const symbols = new Map();

/** What keywords and symbols share: a name, maybe qualified by a namespace (`ns/name`). */
class Named {
  constructor(name) {
    this.fqn = name;
    Object.freeze(this);
  }
  /** The namespace, or null. */
  get namespace() {
    const i = this.fqn.indexOf('/');
    return i > 0 ? this.fqn.slice(0, i) : null;
  }
  /** The name without the namespace. */
  get name() {
    const i = this.fqn.indexOf('/');
    return i > 0 ? this.fqn.slice(i + 1) : this.fqn;
  }
}

/** A keyword, `:name` or `:ns/name`. Interned: `keyword('a') === keyword('a')`. */
export class Keyword extends Named {
  toString() {
    return ':' + this.fqn;
  }
}

/** A symbol, `name` or `ns/name`. Interned like keywords. */
export class Sym extends Named {
  toString() {
    return this.fqn;
  }
}

function checkName(name, what) {
  if (typeof name !== 'string' || name === '') {
    throw new EdnError(`${what} name must be a non-empty string, got ${describeValue(name)}`);
  }
}

/** The keyword named `name` (a leading `:` is dropped). */
export function keyword(name) {
  checkName(name, 'a keyword');
  if (name.startsWith(':')) name = name.slice(1);
  let k = keywords.get(name);
  if (!k) {
    k = new Keyword(name);
    keywords.set(name, k);
  }
  return k;
}

/** The symbol named `name`. */
export function symbol(name) {
  checkName(name, 'a symbol');
  let s = symbols.get(name);
  if (!s) {
    s = new Sym(name);
    symbols.set(name, s);
  }
  return s;
}

/** A character, `\a`. */
export class Char {
  constructor(ch) {
    if (typeof ch !== 'string' || [...ch].length !== 1) {
      throw new EdnError(`a char must be a one-character string, got ${describeValue(ch)}`);
    }
    this.char = ch;
    Object.freeze(this);
  }
  toString() {
    return this.char;
  }
}

/** A float whose value is integral (`1.0`), kept apart from integers. `valueOf` is the number. */
export class EdnFloat {
  constructor(value) {
    if (typeof value !== 'number') {
      throw new EdnError(`a float must be a number, got ${describeValue(value)}`);
    }
    this.value = value;
    Object.freeze(this);
  }
  valueOf() {
    return this.value;
  }
  toString() {
    return String(this.value);
  }
}

/** An arbitrary-precision decimal, `1.50M`, kept as its text. */
export class Decimal {
  constructor(text) {
    if (typeof text !== 'string' || !/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
      throw new EdnError(`a decimal must be decimal digits such as "1.50", got ${describeValue(text)}`);
    }
    this.text = text;
    Object.freeze(this);
  }
  valueOf() {
    return Number(this.text);
  }
  toString() {
    return this.text;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID, `#uuid "…"`; kept as its lower-case text. */
export class UUID {
  constructor(text) {
    if (typeof text !== 'string' || !UUID_RE.test(text)) {
      throw new EdnError(`#uuid expects a string like "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", got ${describeValue(text)}`);
    }
    this.text = text.toLowerCase();
    Object.freeze(this);
  }
  toString() {
    return this.text;
  }
}

/** A tagged value the reader has no type for: `#my/tag value`. */
export class Tagged {
  constructor(tag, value) {
    checkName(tag, 'a tag');
    this.tag = tag;
    this.value = value;
    Object.freeze(this);
  }
}

/** An EDN list, `(a b c)`. An Array, so every array method works. */
export class EdnList extends Array {
  static get [Symbol.species]() {
    return Array;
  }
}

/** A list of `items`. */
export function list(...items) {
  const l = new EdnList();
  l.push(...items);
  return l;
}

/** A map whose keys may be any EDN value, compared by value (`get([1 2])` finds `[1 2]`). */
export class EdnMap {
  constructor(entries) {
    this._m = new Map();
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }
  get size() {
    return this._m.size;
  }
  get(key) {
    const e = this._m.get(keyOf(key));
    return e ? e[1] : undefined;
  }
  has(key) {
    return this._m.has(keyOf(key));
  }
  set(key, value) {
    this._m.set(keyOf(key), [key, value]);
    return this;
  }
  delete(key) {
    return this._m.delete(keyOf(key));
  }
  *entries() {
    for (const e of this._m.values()) yield [e[0], e[1]];
  }
  *keys() {
    for (const e of this._m.values()) yield e[0];
  }
  *values() {
    for (const e of this._m.values()) yield e[1];
  }
  forEach(fn) {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
  [Symbol.iterator]() {
    return this.entries();
  }
}

/** A set whose members may be any EDN value, compared by value. */
export class EdnSet {
  constructor(items) {
    this._m = new Map();
    if (items) for (const v of items) this.add(v);
  }
  get size() {
    return this._m.size;
  }
  has(value) {
    return this._m.has(keyOf(value));
  }
  add(value) {
    this._m.set(keyOf(value), value);
    return this;
  }
  delete(value) {
    return this._m.delete(keyOf(value));
  }
  *values() {
    yield* this._m.values();
  }
  forEach(fn) {
    for (const v of this.values()) fn(v, v, this);
  }
  [Symbol.iterator]() {
    return this.values();
  }
}

/** True for objects printed as maps with keyword keys: `{a: 1}` is `{:a 1}`. */
export function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The entries of any map-like value: EdnMap, Map, or plain object (keys as keywords). */
export function mapEntries(v) {
  if (v instanceof EdnMap || v instanceof Map) return [...v.entries()];
  return Object.keys(v).map((k) => [keyword(k), v[k]]);
}

/** True for any value that prints as an EDN map. */
export function isMap(v) {
  return v instanceof EdnMap || v instanceof Map || isPlainObject(v);
}

/** True for any value that prints as an EDN set. */
export function isSet(v) {
  return v instanceof EdnSet || v instanceof Set;
}


/**
 * A string that is equal for equal EDN values (the hash key of maps and sets). Vectors and
 * lists with equal items are equal, as in Clojure; an integer and a float never are.
 */
export function keyOf(v) {
  if (v === null || v === undefined) return 'n';
  switch (typeof v) {
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number':
      return Number.isSafeInteger(v) ? 'i' + String(v) : 'd' + (Object.is(v, -0) ? '-0' : String(v));
    case 'bigint':
      return 'i' + v.toString();
    case 'string':
      return 's' + JSON.stringify(v);
    default:
  }
  if (v instanceof Keyword) return 'k' + v.fqn;
  if (v instanceof Sym) return 'y' + v.fqn;
  if (v instanceof Char) return 'c' + v.char;
  if (v instanceof EdnFloat) return 'd' + (Object.is(v.value, -0) ? '-0' : String(v.value));
  if (v instanceof Decimal) return 'M' + v.text;
  if (v instanceof UUID) return 'u' + v.text;
  if (v instanceof Date) return 't' + v.getTime();
  if (v instanceof Tagged) return 'g' + v.tag + ' ' + keyOf(v.value);
  if (Array.isArray(v)) return '[' + v.map(keyOf).join(',') + ']';
  if (isSet(v)) return '#{' + [...v].map(keyOf).sort().join(',') + '}';
  if (isMap(v)) {
    return '{' + mapEntries(v).map(([k, x]) => keyOf(k) + ' ' + keyOf(x)).sort().join(',') + '}';
  }
  throw new EdnError(`${describeValue(v)} is not an EDN value`);
}

/** Whether two EDN values are equal (by value, as Clojure's `=`). */
export function equals(a, b) {
  return keyOf(a) === keyOf(b);
}

/** A short description of a JS value for error messages. */
export function describeValue(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object' && typeof v !== 'function') return String(v);
  if (typeof v === 'function') return `a function${v.name ? ' ' + v.name : ''}`;
  if (Array.isArray(v)) return 'an array';
  const ctor = Object.getPrototypeOf(v)?.constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

/** The value at keyword `name` in a map (EdnMap, Map or plain object), or undefined. */
export function get(map, name) {
  if (map instanceof EdnMap || map instanceof Map) {
    return map instanceof Map ? map.get(keyword(name)) ?? map.get(name) : map.get(keyword(name));
  }
  if (isPlainObject(map)) return map[name.startsWith(':') ? name.slice(1) : name];
  return undefined;
}
