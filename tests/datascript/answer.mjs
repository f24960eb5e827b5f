// Answers query/data pairs with DataScript itself (npm `datascript`, in DATASCRIPT_DIR),
// for the differential test of the query engine (host/db/src/query/differential.rs).
// Reads JSON from stdin: [{"people": [...], "queries": [{"q": "...", "rules": "..."?}]}],
// each person {"id": n, "name": s, "age": n, "tag": [s], "friend": [n]}; prints one line
// per query: its tuples, each as its elements joined by "|", sorted and joined by " ; ",
// or "error: …" when DataScript refuses it.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(`${process.env.DATASCRIPT_DIR}/`);
const ds = require('datascript');

const cases = JSON.parse(readFileSync(0, 'utf8'));
const schema = {
  name: { ':db/unique': ':db.unique/identity' },
  tag: { ':db/cardinality': ':db.cardinality/many' },
  friend: { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' },
};
const out = [];
for (const c of cases) {
  const conn = ds.create_conn(schema);
  ds.transact(conn, c.people.map((p) => {
    const e = { ':db/id': -(p.id + 1), name: p.name, age: p.age };
    if (p.tag.length) e.tag = p.tag;
    if (p.friend.length) e.friend = p.friend.map((f) => -(f + 1));
    return e;
  }));
  const db = ds.db(conn);
  for (const q of c.queries) {
    try {
      const result = q.rules === undefined ? ds.q(q.q, db) : ds.q(q.q, db, q.rules);
      out.push(result.map((t) => t.map(String).join('|')).sort().join(' ; '));
    } catch (e) {
      out.push(`error: ${String(e.message).split('\n')[0]}`);
    }
  }
}
console.log(out.join('\n'));
