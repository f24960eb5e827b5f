// Registration of ions by kind, and `describe`. An app calls `app('my.ns')` and registers
// plain functions on it (`.lambda(fn, {doc})`); the WIT exports look them up here by name.

import { IonError } from './error.js';

/** The SDK's name and version, reported by describe. */
export const SDK = 'ion-sdk-js 0.1.0';

/** The five kinds of ion function (the WIT `fn-kind` names). */
export const KINDS = Object.freeze(['lambda', 'web', 'tx-fn', 'query-fn', 'xform']);

const fns = new Map();
const inits = [];

/** The ion name for a JS function name: `get_schema` and `getSchema` are `get-schema`. */
export function ionName(jsName) {
  return jsName.replace(/_/g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * Registers `fn` as an ion of `kind` named `name` (fully qualified, `ns/name`) with `doc`.
 * Throws a TypeError naming what was wrong.
 */
export function register(kind, name, fn, doc = null) {
  if (!KINDS.includes(kind)) throw new TypeError(`ion kind is ${JSON.stringify(kind)}; expected one of ${KINDS.join(' ')}`);
  if (typeof fn !== 'function') throw new TypeError(`the ${kind} ${name} must be a function, got ${typeof fn}`);
  if (typeof name !== 'string' || !/^[^\s/]+\/[^\s/]+$/.test(name)) {
    throw new TypeError(`ion name is ${JSON.stringify(name)}; expected a qualified name such as "my.app/echo"`);
  }
  if (doc !== null && typeof doc !== 'string') throw new TypeError(`the doc of ${name} must be a string, got ${typeof doc}`);
  if (fns.has(name)) throw new TypeError(`${name} is registered twice (as ${fns.get(name).kind} and ${kind})`);
  fns.set(name, { name, kind, doc, fn });
  return fn;
}

/** Options: a doc string, or `{ name, doc }`; `name` without a `/` is put in the namespace. */
function options(opts, fn, kind) {
  if (opts === undefined || opts === null) return { name: null, doc: null };
  if (typeof opts === 'string') return { name: null, doc: opts };
  if (typeof opts !== 'object') throw new TypeError(`the options of ${kind} ${fn?.name ?? ''} must be a doc string or {name, doc}, got ${typeof opts}`);
  for (const k of Object.keys(opts)) {
    if (k !== 'name' && k !== 'doc') throw new TypeError(`unknown option ${JSON.stringify(k)} for ${kind}; expected name or doc`);
  }
  return { name: opts.name ?? null, doc: opts.doc ?? null };
}

/**
 * A namespace to register ions in: `const ion = app('ion.starter')`, then
 * `ion.lambda(function echo(input) { return input; }, 'Echos input')`. Each registrar
 * returns the function, so it can wrap a definition.
 */
export function app(namespace) {
  if (typeof namespace !== 'string' || !/^[^\s/]+$/.test(namespace)) {
    throw new TypeError(`app namespace is ${JSON.stringify(namespace)}; expected a name such as "my.app" (no "/")`);
  }
  const reg = (kind) => (fn, opts) => {
    if (typeof fn !== 'function') throw new TypeError(`${kind} takes a function (then options), got ${typeof fn}`);
    const { name, doc } = options(opts, fn, kind);
    const local = name ?? (fn && fn.name ? ionName(fn.name) : null);
    if (!local) throw new TypeError(`a ${kind} needs a name: give a named function or {name: "…"}`);
    return register(kind, local.includes('/') ? local : `${namespace}/${local}`, fn, doc);
  };
  return Object.freeze({
    namespace,
    /** `(input: string, context: Context) → string | Uint8Array | JSON value` */
    lambda: reg('lambda'),
    /** `(request: Request) → Response | {status, headers, body}` */
    web: reg('web'),
    /** `(db: Db, args: EDN[]) → tx-data` */
    txFn: reg('tx-fn'),
    /** `(args: (EDN | Db)[]) → EDN` */
    queryFn: reg('query-fn'),
    /** `(value: EDN) → EDN` */
    xform: reg('xform'),
    /** Registers a start-up hook, run once when a revision loads. */
    init: (fn) => onInit(fn),
  });
}

/** Registers a start-up hook `fn()`, run by lifecycle.init; throwing fails the deploy. */
export function onInit(fn) {
  if (typeof fn !== 'function') throw new TypeError(`an init hook must be a function, got ${typeof fn}`);
  inits.push(fn);
  return fn;
}

/** The registered init hooks. */
export const initHooks = () => inits;

/** Every registered fn for describe: `{sdk, fns: [{name, kind, doc}]}`. */
export function describe() {
  return {
    sdk: SDK,
    fns: [...fns.values()].map(({ name, kind, doc }) => ({ name, kind, doc: doc ?? undefined })),
  };
}

const KIND_WORDS = { lambda: 'lambda', web: 'web ion', 'tx-fn': 'transaction function', 'query-fn': 'query function', xform: 'xform' };

/** The registered fn `name` of `kind`; a `not-found` IonError otherwise. */
export function lookup(kind, name) {
  const f = fns.get(name);
  if (!f || f.kind !== kind) {
    throw new IonError('not-found', `this component defines no ${KIND_WORDS[kind]} named ${name}`);
  }
  return f;
}

/** Forgets every registration (for tests). */
export function reset() {
  fns.clear();
  inits.length = 0;
}
