// The host's imports (`ion:host/env`, `cast`, `db`) as the SDK reaches them. `ion-build`
// generates a module that imports the WIT interfaces and hands them to `setHost` before the
// app is evaluated; tests hand in fakes. Owns the translation of host errors to IonError.

import { IonError, fromWit } from './error.js';

let host = null;

/** Installs the host bindings: `{ env, cast, db }`, each the module of that WIT interface. */
export function setHost(bindings) {
  for (const k of ['env', 'cast', 'db']) {
    if (!bindings || typeof bindings[k] !== 'object') {
      throw new TypeError(`setHost: bindings.${k} is missing; expected the ion:host/${k} module`);
    }
  }
  host = bindings;
}

/** The bindings of interface `name`; an `unavailable` IonError outside a component. */
export function iface(name) {
  if (!host) {
    throw new IonError('unavailable', `the host interface ion:host/${name} is not available here (only inside a component built by ion-build, while serving a call)`);
  }
  return host[name];
}

/** Calls `fn`, turning the host's error answer (a thrown `{payload: ion-error}`) into an IonError. */
export function hostCall(fn) {
  try {
    return fn();
  } catch (e) {
    if (e && typeof e === 'object' && e.payload && typeof e.payload === 'object' && 'category' in e.payload) {
      throw fromWit(e.payload);
    }
    throw e;
  }
}
