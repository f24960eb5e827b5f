//! Indexing through a connection and garbage collection of the segments no kept root
//! names, on `file:` storage: collection keeps what a kept root names and what is young,
//! and a database reopened after it reads exactly as before. And two "nodes" on one
//! folder, indexing and adopting each other's roots all the while, lose no increment.

use crate::{Databases, NoFunctions};
use ion_edn::read;
use std::time::Duration;

const SCHEMA: &str = r#"[{:db/ident :k/id :db/valueType :db.type/long :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
                         {:db/ident :k/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;

fn everything(db: &crate::Db) -> Vec<String> {
    let mut out = Vec::new();
    for index in [
        crate::Index::Eavt,
        crate::Index::Aevt,
        crate::Index::Avet,
        crate::Index::Vaet,
    ] {
        for d in db.datoms(index, &Default::default()).unwrap() {
            out.push(format!("{d:?}"));
        }
    }
    for d in db
        .history()
        .datoms(crate::Index::Eavt, &Default::default())
        .unwrap()
    {
        out.push(format!("{d:?}"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_deletes_only_segments_no_kept_root_names_and_the_database_reads_the_same() {
    let dir = std::env::temp_dir().join(format!("ion-db-gc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dbs = Databases::file(&dir);
    dbs.create("g").await.unwrap();
    let conn = dbs.connect("g").await.unwrap();
    conn.transact(&read(SCHEMA).unwrap(), &NoFunctions)
        .await
        .unwrap();
    // Three rounds of changes to every entity, each indexed: three roots, of which
    // storage keeps the newest two.
    for round in 0..3 {
        let items: String = (0..3000)
            .map(|i| format!("{{:k/id {i} :k/n {}}}", i * 10 + round))
            .collect();
        conn.transact(&read(&format!("[{items}]")).unwrap(), &NoFunctions)
            .await
            .unwrap();
        conn.snapshot().await.unwrap();
    }
    let before = everything(&conn.db());
    let segments = || std::fs::read_dir(dir.join("g/segments")).unwrap().count();
    let all = segments();
    // Within the grace period nothing goes.
    let young = dbs.gc("g", Duration::from_secs(3600), false).await.unwrap();
    assert_eq!((young.deleted, young.kept + young.young), (0, all));
    assert!(young.young > 0, "{young:?}");
    // A dry run says what would go, and deletes nothing.
    let dry = dbs.gc("g", Duration::ZERO, true).await.unwrap();
    assert_eq!(segments(), all);
    // Past it, the first root's own segments go; the two kept roots' stay.
    let done = dbs.gc("g", Duration::ZERO, false).await.unwrap();
    assert_eq!(done, dry);
    assert!(done.deleted > 0 && done.kept > 0, "{done:?}");
    assert_eq!(segments(), done.kept);
    drop(conn);
    drop(dbs);
    crate::segment::clear_cache();
    let reopened = Databases::file(&dir).connect("g").await.unwrap();
    assert_eq!(everything(&reopened.db()), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A transaction function `inc` that reads the counter from the database before and
/// writes one more: a lost update shows as a counter short of the increments.
struct Counter;

impl crate::Functions for Counter {
    fn tx_fn<'a>(
        &'a self,
        _name: &'a str,
        db: &'a crate::Db,
        _args: Vec<ion_edn::Edn<'static>>,
    ) -> crate::FnFuture<'a> {
        Box::pin(async move {
            let a = db.schema().attr("k/n").unwrap().id;
            let e = db
                .entity_with(db.schema().attr("k/id").unwrap().id, &crate::Value::Long(0))?
                .unwrap();
            let now = match db.values(e, a)?.first() {
                Some(crate::Value::Long(n)) => *n,
                _ => 0,
            };
            Ok(read(&format!("[[:db/add {e} :k/n {}]]", now + 1)).unwrap())
        })
    }
    fn predicate<'a>(
        &'a self,
        name: &'a str,
        _args: Vec<ion_edn::Edn<'static>>,
        _db: Option<&'a crate::Db>,
    ) -> crate::FnFuture<'a> {
        NoFunctions.predicate(name, Vec::new(), None)
    }
    fn xform<'a>(&'a self, name: &'a str, value: ion_edn::Edn<'static>) -> crate::FnFuture<'a> {
        NoFunctions.xform(name, value)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increments_from_two_nodes_indexing_all_the_while_are_never_lost() {
    let dir = std::env::temp_dir().join(format!("ion-db-inc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let setup = Databases::file(&dir);
    setup.create("c").await.unwrap();
    let conn = setup.connect("c").await.unwrap();
    conn.transact(&read(SCHEMA).unwrap(), &NoFunctions)
        .await
        .unwrap();
    conn.transact(&read("[{:k/id 0 :k/n 0}]").unwrap(), &NoFunctions)
        .await
        .unwrap();
    drop(conn);
    drop(setup);
    // Two "nodes" on one folder, each indexing every 2 KiB of log.
    let nodes: Vec<std::sync::Arc<Databases>> = (0..2)
        .map(|_| std::sync::Arc::new(Databases::file(&dir).with_snapshot_every(2048)))
        .collect();
    let per = 300;
    let mut tasks = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        for w in 0..3 {
            let node = node.clone();
            tasks.push(tokio::spawn(async move {
                let conn = node.connect("c").await.unwrap();
                for k in 0..per {
                    conn.transact(&read("[[my/inc]]").unwrap(), &Counter)
                        .await
                        .unwrap_or_else(|e| panic!("node {i} writer {w} #{k}: {e:?}"));
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    for node in &nodes {
        let conn = node.connect("c").await.unwrap();
        let db = conn.sync(2 + 6 * per as i64).await.unwrap();
        let e = db
            .entity_with(db.schema().attr("k/id").unwrap().id, &crate::Value::Long(0))
            .unwrap()
            .unwrap();
        let a = db.schema().attr("k/n").unwrap().id;
        assert_eq!(
            db.values(e, a).unwrap(),
            [crate::Value::Long(6 * per as i64)]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
