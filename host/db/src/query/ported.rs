//! Runs the ported public query cases in `tests/cases/datascript/*.edn`: DataScript's
//! `test/datascript/test/query*.cljc` (EPL-1.0) restated as data, one case per
//! assertion, each keeping the name of the `deftest` it came from.
//!
//! A case file is one map:
//!
//! ```edn
//! {:source "test/datascript/test/query.cljc"
//!  :dbs {:people {:schema {:follow {:db/valueType :db.type/ref}}
//!                 :tx [[{:db/id 1 :name "Ivan"} {:db/id 2 :name "Petr" :follow 1}]]}}
//!  :cases [{:test "test-joins" :db :people
//!           :q [:find ?e :where [?e :name "Ivan"]]
//!           :expect #{[1]}}]}
//! ```
//!
//! DataScript databases are schemaless and name entities by small integers; ours are not,
//! so the runner bridges the two, and only that:
//! - `:schema` is DataScript's attribute map. An attribute it does not type gets its
//!   value type from the first value the data gives it.
//! - In `:tx` (a vector of transactions), an integer entity id (`:db/id 1`, the `e` of a
//!   list form, the value of a ref attribute) is a tempid on first use and that entity
//!   afterwards.
//! - In `:q` and `:args`, `#e 1` is entity 1. In results, entity ids print back as
//!   DataScript's integers, so `:expect` reads as the original does.
//! - `:args` holds the inputs after the query; `$` is the case's database and `#db :name`
//!   another. Without `:args` the one input is the case's database (`:db`, a name or an
//!   inline `{:schema … :tx …}`).
//! - `:expect` as a set compares a relation or collection as a set (and a result with
//!   duplicates fails); any other value compares exactly. `:one-of #{…}` takes any one of
//!   its elements. `:throws "text"` expects an error whose message holds the text.
//! - `:skip "why"` leaves a case out; the summary counts and names them. `:pending "why"`
//!   marks a case that fails for a reason still to be fixed: it is run and listed, and
//!   fails the run once it passes.

use super::{Input, q};
use crate::{Db, NoFunctions, transact};
use ion_edn::{Edn, print, read};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// One built database and its DataScript-id ↔ entity-id maps.
struct TestDb {
    db: Db,
    ids: HashMap<i64, i64>,
    back: HashMap<i64, i64>,
}

fn cases_dir() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    PathBuf::from(manifest).join("../../tests/cases/datascript")
}

fn key(name: &str) -> Edn<'static> {
    ion_edn::keyword(name)
}

/// The value type DataScript data implies for an untyped attribute.
fn inferred_type(v: &Edn<'_>) -> Option<&'static str> {
    Some(match v {
        Edn::Str(_) => "db.type/string",
        Edn::Int(_) => "db.type/long",
        Edn::Double(_) => "db.type/double",
        Edn::Bool(_) => "db.type/boolean",
        Edn::Key(_) => "db.type/keyword",
        Edn::Symbol(_) => "db.type/symbol",
        Edn::Tagged(t, _) if t == "inst" => "db.type/instant",
        Edn::Tagged(t, _) if t == "uuid" => "db.type/uuid",
        Edn::Vector(items) | Edn::List(items) => return items.first().and_then(inferred_type),
        Edn::Set(items) => return items.iter().next().and_then(inferred_type),
        Edn::Map(_) => "db.type/ref",
        _ => return None,
    })
}

async fn build(spec: &Edn<'_>) -> Result<TestDb, String> {
    let mut attrs: BTreeMap<String, BTreeMap<Edn<'static>, Edn<'static>>> = BTreeMap::new();
    if let Some(Edn::Map(schema)) = ion_edn::get(spec, "schema") {
        for (a, props) in schema {
            let Edn::Key(a) = a else {
                return Err(format!("schema key {} is not a keyword", print(a)));
            };
            let entry = attrs.entry(a.to_string()).or_default();
            if let Edn::Map(props) = props {
                for (k, v) in props {
                    if !matches!(k, Edn::Key(k) if k == "db/index") {
                        entry.insert(k.clone().into_owned(), v.clone().into_owned());
                    }
                }
            }
        }
    }
    let txs: Vec<Edn<'static>> = match ion_edn::get(spec, "tx") {
        Some(Edn::Vector(txs)) => txs.iter().map(|t| t.clone().into_owned()).collect(),
        None => vec![],
        Some(other) => {
            return Err(format!(
                ":tx must be a vector of transactions, not {}",
                print(other)
            ));
        }
    };
    let mut seen = |a: &str, v: &Edn<'_>| {
        if a.starts_with("db/") || a.contains("/_") || a.starts_with('_') {
            return;
        }
        let entry = attrs.entry(a.to_string()).or_default();
        if let (std::collections::btree_map::Entry::Vacant(slot), Some(t)) =
            (entry.entry(key("db/valueType")), inferred_type(v))
        {
            slot.insert(key(t));
        }
    };
    for tx in &txs {
        for op in items(tx) {
            match op {
                Edn::Map(m) => visit_map(m, &mut seen),
                Edn::Vector(f) if f.len() == 4 => {
                    if let Edn::Key(a) = &f[2] {
                        seen(a, &f[3]);
                    }
                }
                _ => {}
            }
        }
    }
    let schema: Vec<Edn<'static>> = attrs
        .into_iter()
        .map(|(a, mut props)| {
            props.insert(key("db/ident"), key(&a));
            props
                .entry(key("db/cardinality"))
                .or_insert_with(|| key("db.cardinality/one"));
            props
                .entry(key("db/valueType"))
                .or_insert_with(|| key("db.type/string"));
            Edn::Map(props)
        })
        .collect();
    let mut t = TestDb {
        db: transact::transact(&Db::empty(), &Edn::Vector(schema), &NoFunctions, 0)
            .await
            .map_err(|e| format!("schema: {e}"))?
            .db_after,
        ids: HashMap::new(),
        back: HashMap::new(),
    };
    for tx in txs {
        let refs = ref_attrs(&t.db);
        let data = Edn::Vector(
            items(&tx)
                .iter()
                .map(|op| t.to_tempids(op, &refs))
                .collect(),
        );
        let report = transact::transact(&t.db, &data, &NoFunctions, 0)
            .await
            .map_err(|e| format!("transaction {}: {e}", print(&data)))?;
        for (temp, eid) in &report.tempids {
            if let Ok(n) = temp.parse::<i64>() {
                t.ids.insert(n, *eid);
                t.back.insert(*eid, n);
            }
        }
        t.db = report.db_after;
    }
    Ok(t)
}

fn items<'a>(tx: &'a Edn<'a>) -> &'a [Edn<'a>] {
    match tx {
        Edn::Vector(v) | Edn::List(v) => v,
        _ => &[],
    }
}

fn visit_map(m: &BTreeMap<Edn<'_>, Edn<'_>>, seen: &mut impl FnMut(&str, &Edn<'_>)) {
    for (k, v) in m {
        if let Edn::Key(a) = k {
            seen(a, v);
        }
        if let Edn::Map(inner) = v {
            visit_map(inner, seen);
        }
    }
}

fn ref_attrs(db: &Db) -> BTreeSet<String> {
    db.schema
        .idents
        .iter()
        .filter(|(_, id)| {
            db.schema
                .attrs
                .get(id)
                .is_some_and(|a| a.value_type == crate::value::ValueType::Ref)
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

impl TestDb {
    /// DataScript's integer entity ids as tempids (first use) or entity ids (after).
    fn id(&self, n: i64) -> Edn<'static> {
        match self.ids.get(&n) {
            Some(eid) => Edn::Int(*eid),
            None => Edn::Str(n.to_string().into()),
        }
    }

    fn to_tempids(&self, op: &Edn<'_>, refs: &BTreeSet<String>) -> Edn<'static> {
        match op {
            Edn::Map(m) => Edn::Map(
                m.iter()
                    .map(|(k, v)| {
                        let v = match (k, v) {
                            (Edn::Key(a), Edn::Int(n)) if a == "db/id" => self.id(*n),
                            (Edn::Key(a), v) if refs.contains(a.as_ref()) => {
                                self.ref_value(v, refs)
                            }
                            _ => v.clone().into_owned(),
                        };
                        (k.clone().into_owned(), v)
                    })
                    .collect(),
            ),
            Edn::Vector(f) if f.len() >= 2 => {
                let mut f: Vec<Edn<'static>> = f.iter().map(|x| x.clone().into_owned()).collect();
                if let Edn::Int(n) = f[1] {
                    f[1] = self.id(n);
                }
                if f.len() == 4 && matches!(&f[2], Edn::Key(a) if refs.contains(a.as_ref())) {
                    f[3] = self.ref_value(&f[3], refs);
                }
                Edn::Vector(f)
            }
            other => other.clone().into_owned(),
        }
    }

    fn ref_value(&self, v: &Edn<'_>, refs: &BTreeSet<String>) -> Edn<'static> {
        match v {
            Edn::Int(n) => self.id(*n),
            Edn::Vector(vs) => Edn::Vector(vs.iter().map(|v| self.ref_value(v, refs)).collect()),
            Edn::Set(vs) => Edn::Set(vs.iter().map(|v| self.ref_value(v, refs)).collect()),
            Edn::Map(_) => self.to_tempids(v, refs),
            other => other.clone().into_owned(),
        }
    }

    /// `#e n` in a query or input, as entity `n`'s id.
    fn forward(&self, v: &Edn<'_>) -> Result<Edn<'static>, String> {
        Ok(match v {
            Edn::Tagged(t, inner) if t == "e" => match **inner {
                Edn::Int(n) => Edn::Int(*self.ids.get(&n).ok_or(format!("#e {n}: no entity {n}"))?),
                _ => return Err(format!("#e takes an integer, not {}", print(inner))),
            },
            Edn::Vector(vs) => Edn::Vector(
                vs.iter()
                    .map(|v| self.forward(v))
                    .collect::<Result<_, _>>()?,
            ),
            Edn::List(vs) => Edn::List(
                vs.iter()
                    .map(|v| self.forward(v))
                    .collect::<Result<_, _>>()?,
            ),
            Edn::Set(vs) => Edn::Set(
                vs.iter()
                    .map(|v| self.forward(v))
                    .collect::<Result<_, _>>()?,
            ),
            Edn::Map(m) => Edn::Map(
                m.iter()
                    .map(|(k, v)| Ok((self.forward(k)?, self.forward(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone().into_owned(),
        })
    }

    /// Entity ids in a result, as DataScript's integers.
    fn back(&self, v: &Edn<'_>) -> Edn<'static> {
        match v {
            Edn::Int(n) => Edn::Int(self.back.get(n).copied().unwrap_or(*n)),
            Edn::Vector(vs) => Edn::Vector(vs.iter().map(|v| self.back(v)).collect()),
            Edn::List(vs) => Edn::List(vs.iter().map(|v| self.back(v)).collect()),
            Edn::Set(vs) => Edn::Set(vs.iter().map(|v| self.back(v)).collect()),
            Edn::Map(m) => Edn::Map(
                m.iter()
                    .map(|(k, v)| (self.back(k), self.back(v)))
                    .collect(),
            ),
            other => other.clone().into_owned(),
        }
    }
}

enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
    Pending(String),
}

async fn run_case(dbs: &BTreeMap<String, TestDb>, case: &Edn<'_>) -> Outcome {
    if let Some(why) = ion_edn::get(case, "skip") {
        return Outcome::Skip(print(why));
    }
    let outcome = try_case(dbs, case).await;
    match (ion_edn::get(case, "pending"), outcome) {
        (None, Ok(())) => Outcome::Pass,
        (None, Err(e)) => Outcome::Fail(e),
        (Some(_), Ok(())) => Outcome::Fail("passes: drop its :pending".into()),
        (Some(why), Err(e)) => Outcome::Pending(format!("{}\n      {e}", print(why))),
    }
}

async fn try_case(dbs: &BTreeMap<String, TestDb>, case: &Edn<'_>) -> Result<(), String> {
    let inline;
    let this: Option<&TestDb> = match ion_edn::get(case, "db") {
        Some(Edn::Key(name)) => Some(dbs.get(name.as_ref()).ok_or(format!("no db :{name}"))?),
        Some(spec @ Edn::Map(_)) => {
            inline = build(spec).await?;
            Some(&inline)
        }
        None if dbs.len() == 1 => dbs.values().next(),
        None => None,
        Some(other) => {
            return Err(format!(
                ":db must name a db or be one, not {}",
                print(other)
            ));
        }
    };
    let empty = TestDb {
        db: Db::empty(),
        ids: HashMap::new(),
        back: HashMap::new(),
    };
    let this = this.unwrap_or(&empty);
    let query = this.forward(ion_edn::get(case, "q").ok_or(":q is missing")?)?;
    let mut inputs = Vec::new();
    match ion_edn::get(case, "args") {
        None => inputs.push(Input::Db(&this.db)),
        Some(Edn::Vector(args)) => {
            for arg in args {
                inputs.push(match arg {
                    Edn::Symbol(s) if s == "$" => Input::Db(&this.db),
                    Edn::Tagged(t, name) if t == "db" => match &**name {
                        Edn::Key(n) => {
                            Input::Db(&dbs.get(n.as_ref()).ok_or(format!("no db :{n}"))?.db)
                        }
                        other => return Err(format!("#db takes a db name, not {}", print(other))),
                    },
                    v => Input::Value(this.forward(v)?),
                });
            }
        }
        Some(other) => return Err(format!(":args must be a vector, not {}", print(other))),
    }
    let result = q(&query, inputs, &NoFunctions).await;
    match (ion_edn::get(case, "throws"), result) {
        (Some(Edn::Str(text)), Err(e)) if e.to_string().contains(text.as_ref()) => Ok(()),
        (Some(Edn::Bool(true)), Err(_)) => Ok(()),
        (Some(text), Err(e)) => Err(format!("expected an error with {}, got: {e}", print(text))),
        (Some(_), Ok(r)) => Err(format!("expected an error, got {}", print(&r))),
        (None, Err(e)) => Err(format!("error: {e}")),
        (None, Ok(r)) => {
            let mut got = this.back(&r);
            for db in dbs.values() {
                got = db.back(&got);
            }
            if let Some(Edn::Set(any)) = ion_edn::get(case, "one-of") {
                return any.contains(&got).then_some(()).ok_or(format!(
                    "expected one of {}\n      got {}",
                    print(&Edn::Set(any.clone())),
                    print(&got)
                ));
            }
            let expect = ion_edn::get(case, "expect").ok_or(":expect is missing")?;
            same(expect, &got).then_some(()).ok_or(format!(
                "expected {}\n      got {}",
                print(expect),
                print(&got)
            ))
        }
    }
}

/// `expect` as a set matches a result with the same elements and no duplicates.
fn same(expect: &Edn<'_>, got: &Edn<'_>) -> bool {
    match (expect, got) {
        (Edn::Set(want), Edn::Vector(rows) | Edn::List(rows)) => {
            let rows: BTreeSet<&Edn<'_>> = rows.iter().collect();
            rows.len() == want.len() && want.iter().all(|w| rows.contains(w))
        }
        _ => expect == got,
    }
}

#[tokio::test]
async fn datascript_query_cases() {
    all_cases(None).await;
}

/// The same cases on values whose every datom is in index segments of 4 datoms on
/// `file:` storage, read lazily: every scan crosses segments and goes through the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datascript_query_cases_on_segments() {
    use crate::storage::Storage;
    let dir = std::env::temp_dir().join(format!("ion-ds-segments-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = crate::storage::FileStorage::new(&dir);
    files.create("ds").await.unwrap();
    let storage = files.open("ds").await.unwrap();
    all_cases(Some(&storage)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs every case file; with `segments`, on values indexed into it.
async fn all_cases(segments: Option<&std::sync::Arc<dyn crate::storage::DbStorage>>) {
    let filter = std::env::var("DS_CASES").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases/datascript")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "edn"))
        .filter(|p| p.to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    let (mut passed, mut skipped, mut failed) = (0, Vec::new(), Vec::new());
    let mut pending = Vec::new();
    for path in &files {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let file = read(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut dbs = BTreeMap::new();
        if let Some(Edn::Map(specs)) = ion_edn::get(&file, "dbs") {
            for (name, spec) in specs {
                let Edn::Key(name) = name else {
                    panic!("{stem}: db names are keywords")
                };
                let mut db = build(spec)
                    .await
                    .unwrap_or_else(|e| panic!("{stem} db :{name}: {e}"));
                if let Some(storage) = segments {
                    db.db = crate::base_tests::indexed(&db.db, storage, 4).0;
                }
                dbs.insert(name.to_string(), db);
            }
        }
        let Some(Edn::Vector(cases)) = ion_edn::get(&file, "cases") else {
            panic!("{stem}: :cases must be a vector");
        };
        let (mut p, mut s, mut f) = (0, 0, 0);
        for (i, case) in cases.iter().enumerate() {
            let name = ion_edn::get(case, "test").map(print).unwrap_or_default();
            let at = format!("{stem} #{i} {name}");
            match run_case(&dbs, case).await {
                Outcome::Pass => p += 1,
                Outcome::Skip(why) => {
                    s += 1;
                    skipped.push(format!("{at}: {why}"));
                }
                Outcome::Pending(why) => {
                    let q = ion_edn::get(case, "q").map(print).unwrap_or_default();
                    pending.push(format!("{at}\n      {q}\n      {why}"));
                }
                Outcome::Fail(why) => {
                    f += 1;
                    let q = ion_edn::get(case, "q").map(print).unwrap_or_default();
                    failed.push(format!("{at}\n      {q}\n      {why}"));
                }
            }
        }
        passed += p;
        println!("{stem}: {p} passed, {s} left out, {f} failed");
    }
    println!(
        "ported DataScript query cases: {passed} passed, {} left out",
        skipped.len()
    );
    for s in &skipped {
        println!("  left out {s}");
    }
    for p in &pending {
        println!("  pending {p}");
    }
    assert!(
        failed.is_empty(),
        "{} failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
