//! The embedded database from the shell: the ion-starter's schema and items transacted
//! through its Rust transaction function (built in this test run), read back with pull
//! (and an xform) and datoms; transaction functions that fail in every way; and a
//! `kill -9` in the middle of a stream of transactions.

use crate::fixtures::*;
use crate::support::*;
use ion_edn::Edn;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// The starter's inventory schema, as its get-schema lambda returns it.
fn starter_schema() -> String {
    let out = invoke("examples/starter", &["get-schema"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

fn db(dir: &Path) -> Command {
    let mut cmd = host_at(&dir.join("home"));
    cmd.args(["db", "--db-dir"]).arg(dir.join("dbs"));
    cmd
}

fn with_app(dir: &Path, app_name: &str) -> Command {
    let mut cmd = db(dir);
    cmd.arg("--app").arg(app(app_name)).arg("--no-build");
    cmd
}

#[test]
fn the_starter_items_go_in_through_its_tx_fn_and_come_back_by_pull_and_datoms() {
    let dir = scratch("db-starter");
    ok(db(&dir).args(["create", "inv"]).output().unwrap());
    let schema = starter_schema();
    let r = edn(&ok(db(&dir)
        .args(["transact", "inv", &schema])
        .output()
        .unwrap()));
    assert_eq!(int(&r, &["basis-t"]), 1);
    let items = r#"[[ion.starter/create-item "SKU-1" "small" "red" "shirt"]
                    (ion.starter/create-item "SKU-21" :large :blue :hat)
                    {:db/id "extra" :inv/sku "SKU-42" :inv/count 7}]"#;
    let r = edn(&ok(with_app(&dir, "examples/starter")
        .args(["transact", "inv", items])
        .output()
        .unwrap()));
    assert_eq!(int(&r, &["basis-t"]), 2);
    let Some(Edn::Map(tempids)) = ion_edn::get(&r, "tempids") else {
        panic!()
    };
    assert_eq!(tempids.len(), 1, "only the tempid the caller named");
    let pulled = ok(with_app(&dir, "examples/starter")
        .args([
            "pull",
            "inv",
            "[:inv/sku :inv/size (:inv/type :xform ion.starter/display-name)]",
            r#"[:inv/sku "SKU-21"]"#,
        ])
        .output()
        .unwrap());
    assert_eq!(
        stdout(&pulled).trim(),
        r#"{:inv/size :large, :inv/sku "SKU-21", :inv/type "Hat"}"#
    );
    let datoms = ok(db(&dir)
        .args(["datoms", "inv", "avet", ":inv/sku"])
        .output()
        .unwrap());
    let skus: Vec<String> = match &edn(&datoms) {
        Edn::Vector(ds) => ds
            .iter()
            .map(|d| match d {
                Edn::Vector(f) => ion_edn::print(&f[2]),
                _ => panic!(),
            })
            .collect(),
        other => panic!("{}", ion_edn::print(other)),
    };
    assert_eq!(skus, [r#""SKU-1""#, r#""SKU-21""#, r#""SKU-42""#]);
    // Without --app the transaction function cannot run, and nothing changes.
    let refused = db(&dir)
        .args([
            "transact",
            "inv",
            r#"[[ion.starter/create-item "SKU-9" "small" "red" "shirt"]]"#,
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        error_line(&refused).contains(":cognitect.anomalies/forbidden"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn transaction_functions_that_fail_leave_the_database_unchanged() {
    let dir = scratch("db-hostile");
    ok(db(&dir).args(["create", "h"]).output().unwrap());
    let basis = |dir: &Path| {
        let r = edn(&ok(db(dir).args(["transact", "h", "[]"]).output().unwrap()));
        int(&r, &["basis-t"])
    };
    let before = basis(&dir);
    let run = |tx: &str| {
        let out = with_app(&dir, "tests/guests/hostile")
            .args(["transact", "h", tx])
            .output()
            .unwrap();
        (out.status.code(), error_line(&out), stdout(&out))
    };
    for (tx, category, says) in [
        (
            "[[hostile/tx-throws]]",
            "conflict",
            "tx-throws refuses on purpose",
        ),
        (
            "[[hostile/tx-bad-data]]",
            "incorrect",
            r#"returned \"not tx-data\", not tx-data"#,
        ),
        (
            "[[hostile/tx-forever]]",
            "incorrect",
            "nest deeper than 32 at hostile/tx-forever",
        ),
        (
            "[[hostile/tx-hidden]]",
            "forbidden",
            "hostile/tx-hidden is not in ion-config.edn :allow",
        ),
        (
            "[[hostile/no-such-fn]]",
            "forbidden",
            "hostile/no-such-fn is not in ion-config.edn :allow",
        ),
    ] {
        let (code, line, _) = run(tx);
        assert_eq!(code, Some(1), "{tx}: {line}");
        assert!(
            line.contains(&format!(":cognitect.anomalies/{category}")),
            "{tx}: {line}"
        );
        assert!(line.contains(says), "{tx}: {line}");
    }
    // Each `transact "[]"` above added one transaction; the failures added none.
    assert_eq!(basis(&dir), before + 1);
    // A tx-fn sees the database as it was before the transaction.
    let (code, line, out) = run("[[hostile/tx-basis]]");
    assert_eq!(code, Some(0), "{line}");
    let t = int(&ion_edn::read(out.trim()).unwrap(), &["basis-t"]);
    let doc = ok(db(&dir)
        .args(["pull", "h", "[:db/doc]", &format!("{}", (1i64 << 42) | t)])
        .output()
        .unwrap());
    assert_eq!(
        stdout(&doc).trim(),
        format!("{{:db/doc \"before {}\"}}", t - 1)
    );
}

#[test]
fn a_kill_9_mid_stream_loses_no_acknowledged_transaction_and_applies_no_partial_one() {
    let dir = scratch("db-kill");
    ok(db(&dir).args(["create", "k"]).output().unwrap());
    let schema = r#"[{:db/ident :k/id :db/valueType :db.type/long :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
                     {:db/ident :k/payload :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
                     {:db/ident :k/check :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;
    ok(db(&dir).args(["transact", "k", schema]).output().unwrap());
    let mut child = db(&dir)
        .args(["transact", "k", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Each transaction writes three datoms of one entity; big enough that a kill
        // can land inside a record.
        for n in 0..100_000i64 {
            let payload = "x".repeat(2000);
            let line = format!(
                "[{{:k/id {n} :k/payload \"{payload}\" :k/check {}}}]\n",
                n * 7
            );
            if stdin.write_all(line.as_bytes()).is_err() {
                return;
            }
        }
    });
    let mut acks = BufReader::new(child.stdout.take().unwrap());
    let mut acknowledged = 0;
    let mut line = String::new();
    while acknowledged < 200 {
        line.clear();
        assert!(
            acks.read_line(&mut line).unwrap() > 0,
            "the stream ended early"
        );
        assert!(line.starts_with("{:basis-t"), "{line}");
        acknowledged += 1;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Acknowledgements already written before the kill count too.
    while acks.read_line(&mut line).is_ok_and(|n| n > 0) {
        acknowledged += 1;
        line.clear();
    }
    let _ = writer.join();
    let datoms = ok(db(&dir)
        .args(["datoms", "k", "aevt", ":k/id", "--limit", "1000000"])
        .output()
        .unwrap());
    let ids_doc = edn(&datoms);
    let Edn::Vector(ids) = &ids_doc else { panic!() };
    assert!(
        ids.len() >= acknowledged,
        "{} entities survived, {acknowledged} were acknowledged",
        ids.len()
    );
    for d in ids {
        let Edn::Vector(f) = d else { panic!() };
        let (Edn::Int(e), Edn::Int(n)) = (&f[0], &f[2]) else {
            panic!()
        };
        let check = ok(db(&dir)
            .args(["datoms", "k", "eavt", &e.to_string(), ":k/check"])
            .output()
            .unwrap());
        let check_doc = edn(&check);
        let Edn::Vector(c) = &check_doc else { panic!() };
        assert_eq!(
            c.len(),
            1,
            "entity {e} (:k/id {n}) is missing :k/check: a partial transaction"
        );
        let Edn::Vector(cf) = &c[0] else { panic!() };
        assert_eq!(cf[2], Edn::Int(n * 7));
    }
}

#[test]
fn an_ion_connects_transacts_and_pulls_through_the_db_interface() {
    let dir = scratch("db-ion");
    let home = dir.join("home");
    ok(host_at(&home)
        .args(["db", "create", "from-ion"])
        .output()
        .unwrap());
    let out = ok(host_at(&home)
        .args(["invoke", "--no-build", "--app"])
        .arg(app("tests/guests/hostile"))
        .args(["db-roundtrip", "from-ion"])
        .output()
        .unwrap());
    assert_eq!(stdout(&out), r#"{:db/doc "written by an ion"} nil t=1"#);
    // The transaction called the app's own tx-fn, which saw the database before it.
    let docs = ok(host_at(&home)
        .args(["db", "datoms", "from-ion", "aevt", ":db/doc"])
        .output()
        .unwrap());
    assert!(stdout(&docs).contains(r#""before 0""#), "{}", stdout(&docs));
    let missing = host_at(&home)
        .args(["invoke", "--no-build", "--app"])
        .arg(app("tests/guests/hostile"))
        .args(["db-roundtrip", "no-such-db"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        error_line(&missing).contains("no database named \\\"no-such-db\\\""),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn queries_call_ion_query_functions_as_predicates_and_with_collection_bindings() {
    let dir = scratch("db-query");
    ok(db(&dir).args(["create", "inv"]).output().unwrap());
    ok(db(&dir)
        .args(["transact", "inv", &starter_schema()])
        .output()
        .unwrap());
    let items = r#"[[ion.starter/create-item "SKU-1" "small" "red" "shirt"]
                    [ion.starter/create-item "SKU-21" "large" "blue" "hat"]
                    [ion.starter/create-item "SKU-3" "small" "green" "hat"]]"#;
    ok(with_app(&dir, "examples/starter")
        .args(["transact", "inv", items])
        .output()
        .unwrap());
    // The starter's feature-item? as a predicate, with the $ source passed through.
    let featured = ok(with_app(&dir, "examples/starter")
        .args([
            "q",
            "inv",
            "[:find [?sku ...] :where [?e :inv/sku ?sku] [(ion.starter/feature-item? $ ?sku)]]",
        ])
        .output()
        .unwrap());
    assert_eq!(stdout(&featured).trim(), r#"["SKU-1" "SKU-21"]"#);
    // --explain prints the plan: the selective pattern first, whichever order the
    // patterns are written in, with the estimates it was chosen by.
    let plan = ok(db(&dir)
        .args([
            "q",
            "--explain",
            "inv",
            "[:find ?e :where [?e :inv/sku ?sku] [?e :inv/type :hat]]",
        ])
        .output()
        .unwrap());
    assert_eq!(
        stdout(&plan).trim(),
        "[{:clause [?e :inv/type :hat], :estimate 2} {:clause [?e :inv/sku ?sku], :estimate :lookup}]"
    );
    // hostile/range as a function with a collection binding, joined with :in.
    let q = "[:find ?x ?type :in $ ?n ?type :where [(hostile/range ?n) [?x ...]] [(odd? ?x)]]";
    let r = ok(with_app(&dir, "tests/guests/hostile")
        .args(["q", "inv", q, "5", ":hat"])
        .output()
        .unwrap());
    assert_eq!(stdout(&r).trim(), "[[1 :hat] [3 :hat]]");
    // The query function calls of one query share an instance: its module state counts
    // them (a fresh instance per row would answer 1 every time).
    let q = "[:find [?n ...] :where [(hostile/range 5) [?x ...]] [(hostile/instance-calls ?x) ?n]]";
    let r = ok(with_app(&dir, "tests/guests/hostile")
        .args(["q", "inv", q])
        .output()
        .unwrap());
    assert_eq!(stdout(&r).trim(), "[1 2 3 4 5]");
    // Outside :allow, and an unknown built-in: refused with the clause quoted.
    let hidden = with_app(&dir, "examples/starter")
        .args(["q", "inv", "[:find ?x :where [(ion.starter/echo 1) ?x]]"])
        .output()
        .unwrap();
    assert_eq!(hidden.status.code(), Some(1));
    assert!(
        error_line(&hidden).contains(":cognitect.anomalies/forbidden"),
        "{}",
        stderr(&hidden)
    );
    assert!(
        error_line(&hidden).contains("[(ion.starter/echo 1) ?x]"),
        "{}",
        stderr(&hidden)
    );
    let unknown = db(&dir)
        .args(["q", "inv", "[:find ?x :where [(frob 1) ?x]]"])
        .output()
        .unwrap();
    assert!(
        error_line(&unknown).contains("unknown function frob in [(frob 1) ?x]"),
        "{}",
        stderr(&unknown)
    );
    // Hardening round 2, item 4: the CLI's queries are bounded (60 s unless --timeout).
    let bounded = db(&dir)
        .args([
            "q",
            "inv",
            "[:find ?e :where [?e :inv/sku]]",
            "--timeout",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(bounded.status.code(), Some(1), "{}", stderr(&bounded));
    assert!(
        error_line(&bounded).contains(":cognitect.anomalies/interrupted")
            && error_line(&bounded).contains("the query ran past host db q's --timeout of 0 ms"),
        "{}",
        stderr(&bounded)
    );
    let help = ok(db(&dir).args(["q", "--help"]).output().unwrap());
    assert!(
        stdout(&help).contains("[default: 60000]"),
        "{}",
        stdout(&help)
    );
}

#[test]
fn tools_query_a_nodes_databases_on_its_admin_api() {
    use crate::server::{Server, TOKEN, agent};
    // The node's ION_HOME is the one `host()` gives every test of this run.
    let name = format!("admin-q-{}", std::process::id());
    ok(host().args(["db", "create", &name]).output().unwrap());
    ok(host()
        .args([
            "db",
            "transact",
            &name,
            r#"[{:db/doc "one"} {:db/doc "two"}]"#,
        ])
        .output()
        .unwrap());
    let node = Server::start("tests/guests/hostile");
    let post = |body: &str, token: Option<&str>| {
        let mut req = agent().post(format!("{}/q", node.admin));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let mut r = req.send(body).unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let q = format!(r#"{{:db "{name}" :query [:find [?d ...] :where [_ :db/doc ?d]]}}"#);
    assert_eq!(post(&q, Some(TOKEN)), (200, r#"["one" "two"]"#.to_owned()));
    assert_eq!(post(&q, None).0, 401);
    // The served app's query functions are there too.
    let q = format!(
        r#"{{:db "{name}" :query [:find [?x ...] :in $ ?n :where [(hostile/range ?n) [?x ...]]] :args [3]}}"#
    );
    assert_eq!(post(&q, Some(TOKEN)), (200, "[0 1 2]".to_owned()));
    // Arguments that are not a vector are refused, not dropped.
    let q = format!(
        r#"{{:db "{name}" :query [:find ?n . :in $ ?n :where [(ground ?n) ?n]] :args (3)}}"#
    );
    let (status, body) = post(&q, Some(TOKEN));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(":args is a vector"), "{body}");
    let (status, body) = post(
        r#"{:db "no-such-db" :query [:find ?x :where [?x :db/doc]]}"#,
        Some(TOKEN),
    );
    assert_eq!(status, 404, "{body}");
}

#[test]
fn attribute_and_entity_predicates_call_the_apps_functions() {
    let dir = scratch("db-preds");
    ok(db(&dir).args(["create", "p"]).output().unwrap());
    let schema = r#"[{:db/ident :h/flag :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one
                      :db.attr/preds [hostile/truthy?]}
                     {:db/ident :h/named :db.entity/attrs [:db/doc]}]"#;
    ok(db(&dir).args(["transact", "p", schema]).output().unwrap());
    let tx = |data: &str| {
        let out = with_app(&dir, "tests/guests/hostile")
            .args(["transact", "p", data])
            .output()
            .unwrap();
        (out.status.code(), error_line(&out))
    };
    assert_eq!(tx("[{:h/flag true}]").0, Some(0));
    let (code, line) = tx("[{:h/flag false}]");
    assert_eq!(code, Some(1));
    assert!(
        line.contains("attribute predicate hostile/truthy? refused :h/flag false"),
        "{line}"
    );
    let (code, line) = tx("[{:db/ensure :h/named :h/flag true}]");
    assert_eq!(code, Some(1));
    assert!(
        line.contains("fails :db/ensure :h/named: it lacks required attribute :db/doc"),
        "{line}"
    );
    assert_eq!(
        tx(r#"[{:db/ensure :h/named :h/flag true :db/doc "has one"}]"#).0,
        Some(0)
    );
}
