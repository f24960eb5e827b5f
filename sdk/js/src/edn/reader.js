// The EDN reader: text → JavaScript values (see types.js for the mapping). Reads exactly one
// value; errors name the line, column and what was expected there.

import {
  Char, Decimal, EdnError, EdnFloat, EdnList, EdnMap, EdnSet, Tagged, UUID, keyOf, keyword, symbol,
} from './types.js';

const DELIMS = new Set([...'()[]{}"; \t\n\r\f,\v\\'].concat(['\u00a0']));
const NAMED_CHARS = { newline: '\n', space: ' ', tab: '\t', return: '\r', backspace: '\b', formfeed: '\f' };
const STRING_ESCAPES = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/' };
const INT_RE = /^[+-]?(0|[1-9]\d*)N?$/;
const FLOAT_RE = /^[+-]?(0|[1-9]\d*)(\.\d*)?([eE][+-]?\d+)?M?$/;
const INST_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/;

/** Reads one EDN value from `text`. Throws EdnError naming where and what was expected. */
export function read(text) {
  if (typeof text !== 'string') {
    throw new EdnError(`EDN text must be a string, got ${typeof text}`);
  }
  const r = new Reader(text);
  r.skip();
  if (r.i >= text.length) r.fail('an EDN value', 'the end of the text');
  const value = r.value();
  r.skip();
  if (r.i < text.length) r.fail('the end of the text after one value', JSON.stringify(text[r.i]));
  return value;
}

class Reader {
  constructor(text) {
    this.s = text;
    this.i = 0;
  }

  where(at = this.i) {
    let line = 1;
    let col = 1;
    for (let j = 0; j < at && j < this.s.length; j++) {
      if (this.s[j] === '\n') {
        line += 1;
        col = 1;
      } else col += 1;
    }
    return `line ${line} column ${col}`;
  }

  fail(expected, found, at = this.i) {
    const what = found ?? (at < this.s.length ? JSON.stringify(this.s[at]) : 'the end of the text');
    throw new EdnError(`EDN: expected ${expected} at ${this.where(at)}, found ${what}`);
  }

  /** Skips whitespace, commas, comments and `#_` discards. */
  skip() {
    const s = this.s;
    for (;;) {
      const c = s[this.i];
      if (c === undefined) return;
      if (c === ' ' || c === ',' || c === '\n' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0') {
        this.i += 1;
      } else if (c === ';') {
        while (this.i < s.length && s[this.i] !== '\n') this.i += 1;
      } else if (c === '#' && s[this.i + 1] === '_') {
        this.i += 2;
        this.skip();
        if (this.i >= s.length) this.fail('a value to discard after #_');
        this.value();
      } else return;
    }
  }

  value() {
    const s = this.s;
    const c = s[this.i];
    switch (c) {
      case '(':
        this.i += 1;
        return this.seq(')', new EdnList(), 'a list');
      case '[':
        this.i += 1;
        return this.seq(']', [], 'a vector');
      case '{':
        this.i += 1;
        return this.map();
      case '"':
        return this.string();
      case '\\':
        return this.char();
      case '#':
        return this.dispatch();
      case ')':
      case ']':
      case '}':
        return this.fail('a value', `an unmatched ${JSON.stringify(c)}`);
      default:
        return this.atom();
    }
  }

  seq(close, out, what) {
    const start = this.i - 1;
    for (;;) {
      this.skip();
      if (this.i >= this.s.length) this.fail(`${JSON.stringify(close)} to close ${what} opened at ${this.where(start)}`);
      if (this.s[this.i] === close) {
        this.i += 1;
        return out;
      }
      out.push(this.value());
    }
  }

  map() {
    const start = this.i - 1;
    const forms = this.seq('}', [], 'a map');
    if (forms.length % 2 !== 0) {
      this.fail('a map with an even number of forms (key value pairs)', `${forms.length} forms`, start);
    }
    const m = new EdnMap();
    for (let j = 0; j < forms.length; j += 2) {
      if (m.has(forms[j])) this.fail('distinct map keys', `a duplicate key ${keyOf(forms[j]).slice(1)}`, start);
      m.set(forms[j], forms[j + 1]);
    }
    return m;
  }

  string() {
    const s = this.s;
    const start = this.i;
    this.i += 1;
    let out = '';
    let run = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail(`a closing quote for the string opened at ${this.where(start)}`);
      const c = s[this.i];
      if (c === '"') {
        out += s.slice(run, this.i);
        this.i += 1;
        return out;
      }
      if (c === '\\') {
        out += s.slice(run, this.i);
        const e = s[this.i + 1];
        if (e === 'u') {
          const hex = s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('four hex digits after \\u', JSON.stringify(hex), this.i);
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
        } else if (e !== undefined && e in STRING_ESCAPES) {
          out += STRING_ESCAPES[e];
          this.i += 2;
        } else {
          this.fail('a string escape (\\" \\\\ \\n \\t \\r \\b \\f \\uXXXX)', e === undefined ? undefined : JSON.stringify('\\' + e), this.i);
        }
        run = this.i;
      } else this.i += 1;
    }
  }

  token() {
    const start = this.i;
    while (this.i < this.s.length && !DELIMS.has(this.s[this.i])) this.i += 1;
    return this.s.slice(start, this.i);
  }

  char() {
    const start = this.i;
    this.i += 1;
    // The first character is taken whatever it is (`\(`, `\ ` is not allowed).
    const cp = this.s.codePointAt(this.i);
    if (cp === undefined || /\s/.test(String.fromCodePoint(cp))) this.fail('a character after \\', undefined, this.i);
    const first = String.fromCodePoint(cp);
    this.i += first.length;
    const rest = this.token();
    const name = first + rest;
    if (rest === '') return new Char(first);
    if (name in NAMED_CHARS) return new Char(NAMED_CHARS[name]);
    if (/^u[0-9a-fA-F]{4}$/.test(name)) return new Char(String.fromCharCode(parseInt(name.slice(1), 16)));
    return this.fail('a character (\\a, \\newline, \\space, \\tab, \\return, \\uXXXX)', JSON.stringify('\\' + name), start);
  }

  dispatch() {
    const s = this.s;
    const start = this.i;
    const next = s[this.i + 1];
    if (next === '{') {
      this.i += 2;
      const items = this.seq('}', [], 'a set');
      const set = new EdnSet();
      for (const v of items) {
        if (set.has(v)) this.fail('distinct set members', `a duplicate ${keyOf(v).slice(1)}`, start);
        set.add(v);
      }
      return set;
    }
    if (next === '#') {
      this.i += 2;
      const t = this.token();
      if (t === 'Inf') return Infinity;
      if (t === '-Inf') return -Infinity;
      if (t === 'NaN') return NaN;
      return this.fail('##Inf, ##-Inf or ##NaN', JSON.stringify('##' + t), start);
    }
    this.i += 1;
    const tag = this.token();
    if (!/^[A-Za-z]/.test(tag)) this.fail('a tag (#inst, #uuid, #my/tag), a set #{…} or ##Inf', JSON.stringify('#' + tag), start);
    this.skip();
    if (this.i >= s.length) this.fail(`a value after the tag #${tag}`);
    const at = this.i;
    const v = this.value();
    if (tag === 'inst') return readInst(v, this, at);
    if (tag === 'uuid') {
      if (typeof v !== 'string') this.fail('a string after #uuid', undefined, at);
      try {
        return new UUID(v);
      } catch (e) {
        return this.fail('a UUID string such as "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" after #uuid', JSON.stringify(v), at);
      }
    }
    return new Tagged(tag, v);
  }

  atom() {
    const start = this.i;
    const t = this.token();
    if (t === '') return this.fail('a value');
    const c = t[0];
    if ((c >= '0' && c <= '9') || ((c === '+' || c === '-') && t[1] >= '0' && t[1] <= '9')) {
      return number(t) ?? this.fail('a number', JSON.stringify(t), start);
    }
    if (t === 'nil') return null;
    if (t === 'true') return true;
    if (t === 'false') return false;
    if (c === ':') {
      const name = t.slice(1);
      if (!validName(name) || name.startsWith(':')) this.fail('a keyword such as :a or :my.ns/a', JSON.stringify(t), start);
      return keyword(name);
    }
    if (!validName(t)) this.fail('a symbol', JSON.stringify(t), start);
    return symbol(t);
  }
}

function validName(name) {
  if (name === '' || name === '/') return name === '/';
  if (name.startsWith('/') || name.endsWith('/')) return false;
  if (name.includes('#', 0) && name.startsWith('#')) return false;
  return name.split('/').length <= 2;
}

function number(t) {
  if (INT_RE.test(t)) {
    const big = t.endsWith('N');
    const digits = big ? t.slice(0, -1) : t;
    const n = BigInt(digits);
    if (big || n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) return n;
    return Number(n);
  }
  if (FLOAT_RE.test(t)) {
    if (t.endsWith('M')) return new Decimal(t.slice(0, -1));
    const v = Number(t);
    return Number.isInteger(v) || Object.is(v, -0) ? new EdnFloat(v) : v;
  }
  return null;
}

function readInst(v, r, at) {
  const expected = 'an RFC 3339 timestamp string such as "2024-01-31T12:00:00.000Z" after #inst';
  if (typeof v !== 'string') return r.fail(expected, undefined, at);
  const m = INST_RE.exec(v);
  if (!m) return r.fail(expected, JSON.stringify(v), at);
  const [, y, mo = '01', d = '01', h = '00', mi = '00', sec = '00', frac = '', , sign, oh, om] = m;
  const ms = Number((frac + '000').slice(0, 3));
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  const check = new Date(t);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60) {
    return r.fail(expected, `${JSON.stringify(v)} (no such date or time)`, at);
  }
  if (sign) t -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60000;
  const date = new Date(t);
  if (Number.isNaN(date.getTime())) return r.fail(expected, JSON.stringify(v), at);
  return date;
}
