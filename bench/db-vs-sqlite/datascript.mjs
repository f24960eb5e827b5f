// The people queries on DataScript itself (npm `datascript`, under node), on the same
// 20,000 people as src/queries.rs generates (the same linear congruential sequence), timed
// the same way: the median of 5 rounds of 20 runs. Prints a line per query: its name,
// the µs it took and the rows it found, e.g. `q1 2531.6 2422`.
//
// DataScript's JavaScript API names attributes with strings and has no keyword values,
// so `:name` is written "name" and `:male` is the string "male"; the queries are
// otherwise the ones src/queries.rs runs. `:name` is indexed (`:db/index`), as SQLite's
// column is. DATASCRIPT_DIR is the folder where `npm install datascript` put it.
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.DATASCRIPT_DIR}/`);
const ds = require('datascript');

const NAMES = ['Ivan', 'Petr', 'Sergei', 'Oleg', 'Yuri', 'Dmitry', 'Fedor', 'Denis'];
const LAST = ['Ivanov', 'Petrov', 'Sidorov', 'Kovalev', 'Kuznetsov', 'Voronoi'];
const MASK = (1n << 64n) - 1n;

let x = 42n;
function next(m) {
  x = (x * 6364136223846793005n + 1442695040888963407n) & MASK;
  return Number((x >> 33n) % BigInt(m));
}

const people = [];
for (let i = 0; i < 20000; i++) {
  people.push({
    ':db/id': -(i + 1),
    name: NAMES[next(8)],
    'last-name': LAST[next(6)],
    sex: next(2) === 0 ? 'male' : 'female',
    age: next(100),
    salary: next(100000),
  });
}
const conn = ds.create_conn({ name: { ':db/index': true } });
for (let i = 0; i < people.length; i += 1000) {
  ds.transact(conn, people.slice(i, i + 1000));
}
const db = ds.db(conn);

const queries = [
  ['q1', '[:find ?e :where [?e "name" "Ivan"]]'],
  ['q2', '[:find ?e ?a :where [?e "name" "Ivan"] [?e "age" ?a]]'],
  ['q2-swapped', '[:find ?e ?a :where [?e "age" ?a] [?e "name" "Ivan"]]'],
  ['q3', '[:find ?e ?a :where [?e "name" "Ivan"] [?e "age" ?a] [?e "sex" "male"]]'],
  ['q4', '[:find ?e ?l ?a :where [?e "name" "Ivan"] [?e "last-name" ?l] [?e "age" ?a] [?e "sex" "male"]]'],
  ['qpred1', '[:find ?e ?s :where [?e "salary" ?s] [(> ?s 50000)]]'],
  ['qpred2', '[:find ?e ?s :in $ ?min :where [?e "salary" ?s] [(> ?s ?min)]]', 50000],
];

for (const [name, query, arg] of queries) {
  const run = () => (arg === undefined ? ds.q(query, db) : ds.q(query, db, arg));
  let rows = 0;
  const times = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) {
      rows = run().length;
    }
    times.push(Number(process.hrtime.bigint() - start) / 1000 / 20);
  }
  times.sort((a, b) => a - b);
  console.log(`${name} ${times[2].toFixed(1)} ${rows}`);
}
