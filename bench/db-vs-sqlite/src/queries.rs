//! The people queries of the DataScript/Datahike benchmarks (q1–q4 over 20,000 people),
//! the same data in SQLite, and q4 again with an ion query function called per row.

use ion_host::config::{EnvironmentMap, IonConfig};
use ion_host::db::query::{Input, q};
use ion_host::db::{Databases, NoFunctions};
use ion_host::runtime::db_fns::AppFunctions;
use ion_host::runtime::{AppContext, LoadedApp, Placement, Runtime};
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::Instant;

const NAMES: [&str; 8] = ["Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"];
const LAST: [&str; 6] = ["Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"];

const SCHEMA: &str = r#"[{:db/ident :name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :last-name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :sex :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
 {:db/ident :salary :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;

struct Person {
    name: &'static str,
    last: &'static str,
    male: bool,
    age: i64,
    salary: i64,
}

fn people(n: usize) -> Vec<Person> {
    // A fixed linear congruential sequence: the same people every run.
    let mut x: u64 = 42;
    let mut next = |m: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    (0..n)
        .map(|_| Person {
            name: NAMES[next(8) as usize],
            last: LAST[next(6) as usize],
            male: next(2) == 0,
            age: next(100) as i64,
            salary: next(100_000) as i64,
        })
        .collect()
}

/// Runs the four queries (and q4 with a query function per row when `app` is given), and
/// returns table rows (name, ours µs, sqlite µs).
pub async fn run(dir: &Path, app_dir: Option<&Path>) -> Vec<(String, f64, f64, Option<f64>)> {
    let datascript = datascript();
    let people = people(20_000);
    let dbs = Databases::file(dir.join("ion-q"));
    dbs.create("people").await.unwrap();
    let conn = dbs.connect("people").await.unwrap();
    conn.transact(&ion_edn::read(SCHEMA).unwrap(), &NoFunctions).await.unwrap();
    for chunk in people.chunks(1000) {
        let tx: String = chunk
            .iter()
            .map(|p| {
                format!(
                    "{{:name \"{}\" :last-name \"{}\" :sex {} :age {} :salary {}}}",
                    p.name,
                    p.last,
                    if p.male { ":male" } else { ":female" },
                    p.age,
                    p.salary
                )
            })
            .collect();
        conn.transact(&ion_edn::read(&format!("[{tx}]")).unwrap(), &NoFunctions).await.unwrap();
    }
    let db = conn.db();
    let sq = Connection::open(dir.join("people.sqlite")).unwrap();
    sq.execute_batch(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, last_name TEXT, sex TEXT, age INTEGER, salary INTEGER);
         CREATE INDEX person_name ON person(name);",
    )
    .unwrap();
    sq.execute_batch("BEGIN").unwrap();
    for (i, p) in people.iter().enumerate() {
        sq.execute(
            "INSERT INTO person VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![i as i64, p.name, p.last, if p.male { "male" } else { "female" }, p.age, p.salary],
        )
        .unwrap();
    }
    sq.execute_batch("COMMIT").unwrap();

    let queries = [
        ("q1", "[:find ?e :where [?e :name \"Ivan\"]]", "SELECT id FROM person WHERE name = 'Ivan'"),
        (
            "q2",
            "[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a]]",
            "SELECT id, age FROM person WHERE name = 'Ivan'",
        ),
        (
            "q2-swapped",
            "[:find ?e ?a :where [?e :age ?a] [?e :name \"Ivan\"]]",
            "SELECT id, age FROM person WHERE name = 'Ivan'",
        ),
        (
            "q3",
            "[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a] [?e :sex :male]]",
            "SELECT id, age FROM person WHERE name = 'Ivan' AND sex = 'male'",
        ),
        (
            "q4",
            "[:find ?e ?l ?a :where [?e :name \"Ivan\"] [?e :last-name ?l] [?e :age ?a] [?e :sex :male]]",
            "SELECT id, last_name, age FROM person WHERE name = 'Ivan' AND sex = 'male'",
        ),
    ];
    // The predicate queries of the same benchmark: a constant, then the same bound by :in.
    let queries = queries.into_iter().map(|(n, o, t)| (n, o, t, None)).chain([
        (
            "qpred1",
            "[:find ?e ?s :where [?e :salary ?s] [(> ?s 50000)]]",
            "SELECT id, salary FROM person WHERE salary > 50000",
            None,
        ),
        (
            "qpred2",
            "[:find ?e ?s :in $ ?min :where [?e :salary ?s] [(> ?s ?min)]]",
            "SELECT id, salary FROM person WHERE salary > 50000",
            Some(50_000),
        ),
    ]);
    let mut rows = Vec::new();
    for (name, ours, theirs, arg) in queries {
        let query = ion_edn::read(ours).unwrap();
        // The median of 5 rounds of 20 runs each, so that one slow round (another
        // process, the allocator) does not decide a row.
        let (reps, rounds) = (20, 5);
        let mut n = 0;
        let mut times = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            for _ in 0..reps {
                let mut inputs = vec![Input::Db(&db)];
                if let Some(a) = arg {
                    inputs.push(Input::Value(ion_edn::Edn::Int(a)));
                }
                let r = q(&query, inputs, &NoFunctions).await.unwrap();
                n = match &r {
                    ion_edn::Edn::Vector(v) => v.len(),
                    _ => 0,
                };
            }
            times.push(t.elapsed().as_secs_f64() * 1e6 / reps as f64);
        }
        let ours_us = median(times);
        let mut stmt = sq.prepare(theirs).unwrap();
        let mut m = 0;
        let mut times = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            for _ in 0..reps {
                m = stmt.query_map([], |_| Ok(())).unwrap().count();
            }
            times.push(t.elapsed().as_secs_f64() * 1e6 / reps as f64);
        }
        let theirs_us = median(times);
        assert_eq!(n, m, "{name}: {n} rows here, {m} in SQLite");
        let peer = datascript.get(name).map(|(us, rows)| {
            assert_eq!(*rows, n, "{name}: {n} rows here, {rows} in DataScript");
            *us
        });
        rows.push((format!("{name} ({n} rows)"), ours_us, theirs_us, peer));
    }

    // q4 with an ion query function called on every row (the hostile guest's truthy?).
    if let Some(app_dir) = app_dir {
        let config = IonConfig::load(&app_dir.join("ion-config.edn")).unwrap();
        let bytes = std::fs::read(app_dir.join("target/ion/app.wasm")).unwrap();
        let rt = Runtime::new(Default::default()).unwrap();
        let context = AppContext::new(&config, Placement::new(None, EnvironmentMap::parse("{}", "bench").unwrap())).unwrap();
        let app = LoadedApp::load(&rt, bytes, config, context).await.unwrap();
        let query = ion_edn::read(
            "[:find ?e ?l ?a :where [?e :name \"Ivan\"] [?e :last-name ?l] [?e :age ?a] [?e :sex :male] [(hostile/truthy? ?a)]]",
        )
        .unwrap();
        // As the other rows: the median of several runs, each a database operation of its
        // own (its own instance of the app, as a node's query has).
        let mut times = Vec::new();
        let mut r = ion_edn::Edn::Nil;
        for _ in 0..7 {
            let fns = AppFunctions::new(&app);
            let t = Instant::now();
            r = q(&query, vec![Input::Db(&db)], &fns).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let ours_us = median(times);
        let n = match &r {
            ion_edn::Edn::Vector(v) => v.len(),
            _ => 0,
        };
        let mut stmt = sq
            .prepare("SELECT id, last_name, age FROM person WHERE name = 'Ivan' AND sex = 'male'")
            .unwrap();
        let t = Instant::now();
        let m = stmt.query_map([], |_| Ok(())).unwrap().count();
        let theirs_us = t.elapsed().as_secs_f64() * 1e6;
        assert_eq!(n, m);
        rows.push((format!("q4 + an ion query fn per row ({n} calls)"), ours_us, theirs_us, None));
    }
    rows
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// DataScript's times for the same queries on the same people (µs and rows, by query
/// name), from `datascript.mjs` under node, when `DATASCRIPT_DIR` names an npm install of
/// `datascript`; none otherwise.
fn datascript() -> std::collections::HashMap<String, (f64, usize)> {
    let Ok(dir) = std::env::var("DATASCRIPT_DIR") else {
        return Default::default();
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("datascript.mjs");
    let out = std::process::Command::new("node")
        .arg(&script)
        .env("DATASCRIPT_DIR", dir)
        .output()
        .expect("running node");
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f.len(), 3, "datascript.mjs printed {line:?}");
            (f[0].to_owned(), (f[1].parse().unwrap(), f[2].parse().unwrap()))
        })
        .collect()
}
