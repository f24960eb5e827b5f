// The EDN printer: JavaScript values → compact EDN text that reads back equal (floats keep
// a point, non-finite numbers print as ##Inf/##-Inf/##NaN). Also JSON ⇄ EDN the way Datomic
// hands JSON-born data to ions (object keys become keywords).

import {
  Char, Decimal, EdnError, EdnFloat, EdnList, EdnMap, EdnSet, Keyword, Sym, Tagged, UUID,
  describeValue, isMap, isSet, keyword, mapEntries,
} from './types.js';

const CHAR_NAMES = { '\n': 'newline', ' ': 'space', '\t': 'tab', '\r': 'return', '\b': 'backspace', '\f': 'formfeed' };

/** Prints `value` as EDN text. Throws EdnError naming the value that has no EDN form. */
export function print(value) {
  const out = [];
  write(out, value, 'the value');
  return out.join('');
}

function writeString(out, s) {
  out.push('"');
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc = null;
    if (c === 34) esc = '\\"';
    else if (c === 92) esc = '\\\\';
    else if (c === 10) esc = '\\n';
    else if (c === 9) esc = '\\t';
    else if (c === 13) esc = '\\r';
    else if (c < 32 || c === 127) esc = '\\u' + c.toString(16).padStart(4, '0');
    if (esc) {
      out.push(s.slice(run, i), esc);
      run = i + 1;
    }
  }
  out.push(s.slice(run), '"');
}

function writeFloat(out, v) {
  if (Number.isNaN(v)) out.push('##NaN');
  else if (v === Infinity) out.push('##Inf');
  else if (v === -Infinity) out.push('##-Inf');
  else if (Object.is(v, -0)) out.push('-0.0');
  else {
    const t = String(v);
    out.push(/[.eE]/.test(t) ? t : t + '.0');
  }
}

function writeNumber(out, v) {
  // An integral number beyond the safe range has lost precision: it is a float (use BigInt).
  if (Number.isSafeInteger(v)) out.push(String(v));
  else writeFloat(out, v);
}

function writeSeq(out, open, items, close, path) {
  out.push(open);
  let i = 0;
  for (const item of items) {
    if (i > 0) out.push(' ');
    write(out, item, `${path}[${i}]`);
    i += 1;
  }
  out.push(close);
}

function write(out, v, path) {
  if (v === null) return void out.push('nil');
  switch (typeof v) {
    case 'boolean':
      return void out.push(v ? 'true' : 'false');
    case 'number':
      return writeNumber(out, v);
    case 'bigint':
      return void out.push(v.toString());
    case 'string':
      return writeString(out, v);
    case 'undefined':
      throw new EdnError(`cannot print ${path}: it is undefined; expected an EDN value (use null for nil)`);
    case 'function':
    case 'symbol':
      throw new EdnError(`cannot print ${path}: it is ${describeValue(v)}; expected an EDN value`);
    default:
  }
  if (v instanceof Keyword) return void out.push(':' + v.fqn);
  if (v instanceof Sym) return void out.push(v.fqn);
  if (v instanceof EdnFloat) return writeFloat(out, v.value);
  if (v instanceof Decimal) return void out.push(v.text + 'M');
  if (v instanceof Char) {
    const name = CHAR_NAMES[v.char];
    return void out.push('\\' + (name ?? v.char));
  }
  if (v instanceof UUID) return void out.push(`#uuid "${v.text}"`);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new EdnError(`cannot print ${path}: it is an invalid Date`);
    return void out.push(`#inst "${v.toISOString()}"`);
  }
  if (v instanceof Tagged) {
    out.push('#' + v.tag + ' ');
    return write(out, v.value, `${path} (#${v.tag})`);
  }
  if (v instanceof EdnList) return writeSeq(out, '(', v, ')', path);
  if (Array.isArray(v)) return writeSeq(out, '[', v, ']', path);
  if (isSet(v)) return writeSeq(out, '#{', v, '}', path);
  if (isMap(v)) {
    out.push('{');
    let i = 0;
    for (const [k, x] of mapEntries(v)) {
      if (i > 0) out.push(', ');
      write(out, k, `${path} key ${i}`);
      out.push(' ');
      write(out, x, `${path} value of ${k instanceof Keyword ? ':' + k.fqn : 'key ' + i}`);
      i += 1;
    }
    return void out.push('}');
  }
  throw new EdnError(`cannot print ${path}: it is ${describeValue(v)}; expected an EDN value (null, boolean, number, bigint, string, Keyword, Sym, Char, Date, UUID, array, EdnList, map, set or Tagged)`);
}

/** Converts a parsed JSON value to EDN: object keys become keywords, null nil. */
export function jsonToEdn(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(jsonToEdn);
  const m = new EdnMap();
  for (const k of Object.keys(value)) m.set(keyword(k), jsonToEdn(value[k]));
  return m;
}

/**
 * Converts EDN to a JSON-able value: keywords and symbols become their names, sets and lists
 * arrays, map keys strings. Throws EdnError for non-finite numbers.
 */
export function ednToJson(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new EdnError(`JSON cannot hold ${value}`);
    return value;
  }
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Keyword || value instanceof Sym) return value.fqn;
  if (value instanceof EdnFloat) return ednToJson(value.value);
  if (value instanceof EdnSet) return [...value].map(ednToJson);
  if (value instanceof Char || value instanceof UUID || value instanceof Decimal) return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Tagged) return ednToJson(value.value);
  if (Array.isArray(value) || isSet(value)) return [...value].map(ednToJson);
  if (isMap(value)) {
    const obj = {};
    for (const [k, v] of mapEntries(value)) {
      const key = k instanceof Keyword || k instanceof Sym ? k.fqn : typeof k === 'string' ? k : print(k);
      obj[key] = ednToJson(v);
    }
    return obj;
  }
  return print(value);
}

// JSON.stringify of EDN values gives their JSON form (keywords as names, maps as objects).
for (const T of [EdnMap, EdnSet, Keyword, Sym, Char, EdnFloat, Decimal, UUID, Tagged]) {
  Object.defineProperty(T.prototype, 'toJSON', {
    value() {
      return ednToJson(this);
    },
  });
}
