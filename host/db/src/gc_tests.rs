//! Indexing through a connection and garbage collection of the segments no kept root
//! names, on `file:` storage: collection keeps what a kept root names and what is young,
//! and a database reopened after it reads exactly as before.

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
