// Structured events, alerts, metrics and developer logs, as `datomic.ion.cast`. Each takes an
// EDN map (EdnMap, Map, or a plain object whose keys become keywords).

import { print } from './edn/index.js';
import { isMap } from './edn/types.js';
import { IonError } from './error.js';
import { hostCall, iface } from './host.js';

function send(kind, data) {
  if (!isMap(data)) {
    throw new IonError('incorrect', `cast.${kind} takes an EDN map such as {msg: "…"}, got ${data === null ? 'null' : typeof data}`);
  }
  const text = print(data);
  hostCall(() => iface('cast')[kind](text));
}

/** Records an ordinary occurrence: `event({msg: 'started'})`. */
export const event = (data) => send('event', data);
/** Records an occurrence that needs a human; counted in the Alerts metric. */
export const alert = (data) => send('alert', data);
/** Records a measurement: `metric({name: keyword('my.app/latency'), value: 12, units: keyword('msec')})`. */
export const metric = (data) => send('metric', data);
/** High-volume developer logging, kept only under `host dev`. */
export const dev = (data) => send('dev', data);
