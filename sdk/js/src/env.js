// Where the ion runs: the environment map, app info and parameters (the reference's
// get-env, get-app-info, get-params), and the app's own parameters by convention.

import { read } from './edn/index.js';
import { Keyword, Sym, get } from './edn/types.js';
import { IonError } from './error.js';
import { hostCall, iface } from './host.js';

function readHost(text, what) {
  try {
    return read(text);
  } catch (e) {
    throw new IonError('fault', `the host answered ${what} with invalid EDN: ${e.message}`);
  }
}

/** The compute group's environment map, e.g. `{:env :staging}` (an EdnMap). */
export function getEnv() {
  return readHost(iface('env').getEnv(), 'get-env');
}

/** The app's info: at least `:app-name`, and `:deployment-group` in a group (an EdnMap). */
export function getAppInfo() {
  return readHost(iface('env').getAppInfo(), 'get-app-info');
}

/** Every parameter under `path` (recursively), as a Map name → value (prints as an EDN map). */
export function getParams(path) {
  if (typeof path !== 'string') throw new IonError('incorrect', `getParams: path must be a string such as "/datomic-shared/prod/app/", got ${typeof path}`);
  const params = hostCall(() => iface('env').getParams(path));
  const out = new Map();
  for (const p of params) out.set(p.name, p.value);
  return out;
}

/**
 * The app's own parameters: those under `/PREFIX/ENV/APP-NAME/`, where ENV is getEnv()'s
 * `:env`, APP-NAME getAppInfo()'s `:app-name` and PREFIX its `:params-prefix`.
 */
export function getAppParams() {
  const info = getAppInfo();
  const env = getEnv();
  const text = (map, key, from) => {
    const v = get(map, key);
    if (typeof v === 'string') return v;
    if (v instanceof Keyword || v instanceof Sym) return v.name;
    throw new IonError('incorrect', `${from} has no :${key}; get-app-params needs it to name the parameter path`);
  };
  const path = `/${text(info, 'params-prefix', 'get-app-info')}/${text(env, 'env', "get-env (set the environment map, e.g. ION_ENV_MAP='{:env :dev}')")}/${text(info, 'app-name', 'get-app-info')}/`;
  return getParams(path);
}
