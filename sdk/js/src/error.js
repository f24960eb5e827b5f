// IonError: an anomaly category, a message and optional EDN data — what an ion throws to
// answer with an error, and what host calls throw when the host answers with one. Also the
// conversions to and from the WIT `ion-error` record.

import { print, read } from './edn/index.js';
import { isMap } from './edn/types.js';

/** The nine anomaly categories of `wit/types.wit`. */
export const CATEGORIES = Object.freeze([
  'incorrect', 'forbidden', 'not-found', 'conflict', 'fault', 'unavailable', 'busy', 'interrupted', 'unsupported',
]);

/** An ion's error: `throw new IonError('incorrect', 'no such sku', { 'my.app/sku': sku })`. */
export class IonError extends Error {
  /**
   * @param category one of CATEGORIES
   * @param message a sentence for a human
   * @param data an EDN map (EdnMap, Map or plain object; plain object keys become keywords), or null
   */
  constructor(category, message, data = null) {
    if (!CATEGORIES.includes(category)) {
      throw new TypeError(`IonError category is ${JSON.stringify(category)}; expected one of ${CATEGORIES.join(' ')}`);
    }
    if (typeof message !== 'string') {
      throw new TypeError(`IonError message must be a string, got ${typeof message}`);
    }
    if (data !== null && data !== undefined && !isMap(data)) {
      throw new TypeError('IonError data must be an EDN map (EdnMap, Map or plain object) or null');
    }
    super(message);
    this.name = 'IonError';
    this.category = category;
    this.data = data ?? null;
  }

  toString() {
    return `${this.category}: ${this.message}`;
  }
}

for (const c of CATEGORIES) {
  const fn = c.replace(/-(\w)/g, (_, x) => x.toUpperCase());
  IonError[fn] = (message, data = null) => new IonError(c, message, data);
}

/** Converts any thrown value to the WIT `ion-error` record; non-IonErrors become `fault`. */
export function toWit(e) {
  if (e instanceof IonError) {
    let data;
    if (e.data !== null) {
      try {
        const text = print(e.data);
        data = text === '{}' ? undefined : text;
      } catch (pe) {
        return { category: 'fault', message: `${e.message} (its data cannot be printed as EDN: ${pe.message})`, data: undefined };
      }
    }
    return { category: e.category, message: e.message, data };
  }
  if (e instanceof Error) {
    return { category: 'fault', message: `${e.name || 'Error'}: ${e.message}`, data: undefined };
  }
  return { category: 'fault', message: `thrown ${typeof e}: ${String(e)}`, data: undefined };
}

/** Converts a WIT `ion-error` record (from a host call) to an IonError. */
export function fromWit(w) {
  let data = null;
  if (w.data) {
    try {
      data = read(w.data);
    } catch {
      data = null;
    }
  }
  return new IonError(CATEGORIES.includes(w.category) ? w.category : 'fault', String(w.message), isMap(data) ? data : null);
}
