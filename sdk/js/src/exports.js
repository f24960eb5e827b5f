// The component's WIT exports (describe, lifecycle, lambda, web, tx-fn, query-fn, xform): each
// looks the ion up in the registry, converts WIT values to SDK values, calls it, and answers
// `{tag: 'ok'|'err'}` — an IonError as itself, any other exception as a `fault`.

import { print, read } from './edn/index.js';
import { describeValue } from './edn/types.js';
import { IonError, toWit } from './error.js';
import { Context } from './lambda.js';
import { Db } from './db.js';
import { Request, toResponse } from './web.js';
import * as registry from './registry.js';

const encoder = new TextEncoder();
const ok = (val) => ({ tag: 'ok', val });

/** Runs `fn`, answering a WIT result; exceptions become errors (never traps). */
function guard(fn) {
  try {
    return ok(fn());
  } catch (e) {
    return { tag: 'err', val: toWit(e) };
  }
}

function readArg(text, what) {
  try {
    return read(text);
  } catch (e) {
    throw new IonError('incorrect', `${what} is not valid EDN: ${e.message}`);
  }
}

function printOut(value, who) {
  if (value === undefined) throw new IonError('fault', `${who} returned undefined; expected an EDN value (null for nil)`);
  try {
    return print(value);
  } catch (e) {
    throw new IonError('fault', `${who} returned a value with no EDN form: ${e.message}`);
  }
}

function lambdaBytes(v, who) {
  if (typeof v === 'string') return encoder.encode(v);
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (v === undefined) throw new IonError('fault', `${who} returned undefined; expected a string, a Uint8Array or a JSON value`);
  try {
    return encoder.encode(JSON.stringify(v));
  } catch (e) {
    throw new IonError('fault', `${who} returned ${describeValue(v)}, which is not JSON: ${e.message}`);
  }
}

function notThenable(v, who) {
  if (v && typeof v.then === 'function') {
    throw new IonError('fault', `${who} returned a Promise; ions are synchronous: return the value itself`);
  }
  return v;
}

export const describe = {
  describe: () => registry.describe(),
};

export const lifecycle = {
  init: () => guard(() => {
    for (const hook of registry.initHooks()) notThenable(hook(), 'an init hook');
  }),
};

export const lambda = {
  handle: (name, input, context) => guard(() => {
    const f = registry.lookup('lambda', name);
    const out = notThenable(f.fn(input, new Context(context)), `lambda ${name}`);
    return lambdaBytes(out, `lambda ${name}`);
  }),
};

export const web = {
  handle: (name, request) => guard(() => {
    const f = registry.lookup('web', name);
    const r = toResponse(notThenable(f.fn(new Request(request)), `web ion ${name}`), `web ion ${name}`);
    return { status: r.status, headers: r.headers, body: r.body };
  }),
};

export const txFn = {
  call: (name, db, args) => guard(() => {
    const f = registry.lookup('tx-fn', name);
    const values = args.map((a, i) => readArg(a, `argument ${i}`));
    return printOut(notThenable(f.fn(new Db(db), values), `transaction function ${name}`), `transaction function ${name}`);
  }),
};

export const queryFn = {
  call: (name, args) => guard(() => {
    const f = registry.lookup('query-fn', name);
    const values = args.map((a, i) => (a.tag === 'db' ? new Db(a.val) : readArg(a.val, `argument ${i}`)));
    return printOut(notThenable(f.fn(values), `query function ${name}`), `query function ${name}`);
  }),
};

export const queryFnBatch = {
  callBatch: (name, rows) => guard(() => {
    const f = registry.lookup('query-fn', name);
    return rows.map((row) => {
      const values = row.map((a, i) => readArg(a, `argument ${i}`));
      return printOut(notThenable(f.fn(values), `query function ${name}`), `query function ${name}`);
    });
  }),
};

export const xform = {
  call: (name, value) => guard(() => {
    const f = registry.lookup('xform', name);
    const v = readArg(value, "the xform's value");
    return printOut(notThenable(f.fn(v), `xform ${name}`), `xform ${name}`);
  }),
};
