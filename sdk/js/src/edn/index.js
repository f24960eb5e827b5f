// The SDK's EDN module: the reader, the printer, the value types and JSON ⇄ EDN, re-exported
// as one namespace (`import { edn } from '@ion-host/sdk'`).

export { read } from './reader.js';
export { print, jsonToEdn, ednToJson } from './printer.js';
export {
  Char, Decimal, EdnError, EdnFloat, EdnList, EdnMap, EdnSet, Keyword, Sym, Tagged, UUID,
  equals, get, isMap, isSet, keyOf, keyword, list, symbol,
} from './types.js';

import { Char, EdnFloat, UUID } from './types.js';

/** A char value. */
export const char = (c) => new Char(c);
/** A float that prints with a point even when integral: `float(1)` prints `1.0`. */
export const float = (n) => new EdnFloat(n);
/** A UUID value from its text. */
export const uuid = (text) => new UUID(text);
