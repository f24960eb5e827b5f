// The `loader` export of world ion-runtime: the host hands the app's sources (JSON {path:
// text}) once; each `.js` source is turned from an ES module into a function (imports and
// exports rewritten, a small subset: the forms `import {a, b as c} from`, `import * as x
// from`, `import x from`, `import 'm'`, `export function|class|const|let|var`, `export
// default`, `export {a, b as c}`), evaluated with `new Function`, and `app.js` is required,
// which registers the ions. '@ion-host/sdk' resolves to this SDK.

import * as sdk from './index.js';

const IMPORT_RE = /^[ \t]*import\s+(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s+as\s+([\w$]+))?\s*(?:from\s*)?(['"])([^'"]+)\4\s*;?/gm;
const EXPORT_DECL_RE = /^([ \t]*)export\s+(default\s+)?(?:(async\s+function\*?|function\*?|class|const|let|var)\s+([\w$]+))?/gm;
const EXPORT_LIST_RE = /^[ \t]*export\s*\{([^}]*)\}\s*;?/gm;

/** Rewrites one ES module's text into a function body over `__require` and `__exports`. */
export function transform(text) {
  const tail = [];
  // Each rewrite keeps the line count, so error lines stay right.
  const pad = (m) => '\n'.repeat((m.match(/\n/g) ?? []).length);
  let body = text.replace(IMPORT_RE, (m, def, named, star, _q, spec) => {
    const parts = [];
    const req = `__require(${JSON.stringify(spec)})`;
    if (def) parts.push(`const ${def} = ${req}.default;`);
    if (star) parts.push(`const ${star} = ${req};`);
    if (named !== undefined) {
      const fields = named.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/\s+as\s+/, ': '));
      parts.push(`const { ${fields.join(', ')} } = ${req};`);
    }
    if (parts.length === 0) parts.push(`${req};`);
    return parts.join(' ') + pad(m);
  });
  body = body.replace(EXPORT_LIST_RE, (m, list) => {
    for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [local, exported = local] = item.split(/\s+as\s+/);
      tail.push(`__exports[${JSON.stringify(exported)}] = ${local};`);
    }
    return pad(m);
  });
  body = body.replace(EXPORT_DECL_RE, (m, indent, dflt, kind, name) => {
    if (dflt && !name) return `${indent}__exports.default = `;
    if (!kind) return m;
    tail.push(`__exports[${JSON.stringify(dflt ? 'default' : name)}] = ${name};`);
    return `${indent}${kind} ${name}`;
  });
  return `${body}\n;${tail.join('\n')}`;
}

function resolvePath(from, spec) {
  if (!spec.startsWith('.')) return spec;
  const parts = from.split('/').slice(0, -1);
  for (const seg of spec.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.') parts.push(seg);
  }
  return parts.join('/');
}

/** `file:line` of a syntax error in a source: SpiderMonkey counts the two header lines
 * `new Function` adds (`function anonymous(…\n) {\n`). */
function where(e, file) {
  const line = e && typeof e.lineNumber === 'number' ? e.lineNumber - 2 : null;
  return line === null || line < 1 ? file : `${file}:${line}`;
}

export const loader = {
  load(sourcesJson) {
    let sources;
    try {
      sources = JSON.parse(sourcesJson);
    } catch (e) {
      return { tag: 'err', val: `the sources are not JSON: ${e.message}` };
    }
    if (typeof sources['app.js'] !== 'string') {
      return { tag: 'err', val: 'the app has no app.js; expected app.js beside ion-config.edn' };
    }
    const modules = new Map();
    const require = (from) => (spec) => {
      if (spec === '@ion-host/sdk') return sdk;
      let path = resolvePath(from, spec);
      if (!(path in sources) && `${path}.js` in sources) path = `${path}.js`;
      if (!(path in sources)) throw new Error(`${from}: cannot find module ${JSON.stringify(spec)} among the app's sources`);
      if (modules.has(path)) return modules.get(path);
      const exports = {};
      modules.set(path, exports);
      let fn;
      try {
        // eslint-disable-next-line no-new-func
        fn = new Function('__require', '__exports', `${transform(sources[path])}\n//# sourceURL=${path}`);
      } catch (e) {
        throw new Error(`${where(e, path)}: ${e.name}: ${e.message}`);
      }
      fn(require(path), exports);
      return exports;
    };
    try {
      require('app.js')('./app.js');
    } catch (e) {
      const msg = e && e.message && /^\S+\.js(:\d+)?: /.test(e.message) ? e.message : `app.js: ${e && e.name}: ${e && e.message}`;
      return { tag: 'err', val: msg };
    }
    return { tag: 'ok', val: undefined };
  },
};
