//! Restart and reads of a large database (issue 19): a database of DATOMS datoms (items
//! with a unique id and a name) built once on `file:` storage, then
//! - reopened by replaying its whole log, to the first read (a pull by unique id);
//! - indexed (its segments and root written), and reopened from the root to the first
//!   read: the root and the log after it are all that opening reads;
//! - a cold pull (the segment cache emptied before each) and a warm pull;
//! beside SQLite opening the same rows and reading one by primary key. With BENCH_PG_URL,
//! the same restart from an index root on PostgreSQL storage, beside a new PostgreSQL
//! session's first `SELECT` by key.

use ion_host::db::storage::PostgresStorage;
use ion_host::db::{Databases, NoFunctions, api, segment};
use rusqlite::params;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

type Row = (String, f64, f64, &'static str);

const SCHEMA: &str = super::SCHEMA;

/// Builds database `big` in `dbs` with `datoms` datoms (two per item), no index root.
async fn build(dbs: &Databases, datoms: usize) {
    dbs.create("big").await.unwrap();
    let conn = dbs.connect("big").await.unwrap();
    conn.transact(&ion_edn::read(SCHEMA).unwrap(), &NoFunctions).await.unwrap();
    let batch = 5000;
    for b in 0..datoms / batch {
        let items: String = (0..batch / 2)
            .map(|i| format!("{{:item/id {} :item/name \"n{i}\"}}", b * batch / 2 + i))
            .collect();
        conn.transact(&ion_edn::read(&format!("[{items}]")).unwrap(), &NoFunctions).await.unwrap();
    }
}

/// Opens `big` and pulls item `id`: ms to that first read.
async fn first_read(dbs: impl FnOnce() -> Databases, id: usize) -> (f64, Arc<ion_host::db::Connection>, Databases) {
    let t = Instant::now();
    let dbs = dbs();
    let conn = dbs.connect("big").await.unwrap();
    pull(&conn.db(), id).await;
    (t.elapsed().as_secs_f64() * 1000.0, conn, dbs)
}

async fn pull(db: &ion_host::db::Db, id: usize) {
    let req = ion_edn::read(&format!("{{:selector [:item/name] :eid [:item/id {id}]}}")).unwrap();
    let v = api::pull_request(db, &req, &NoFunctions).await.unwrap();
    assert!(!matches!(v, ion_edn::Edn::Nil), "item {id}");
}

pub async fn run(dir: &Path, datoms: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    let items = datoms / 2;
    let file = |d: &Path| Databases::file(d.join("ion-big")).with_snapshot_every(u64::MAX);
    build(&file(dir), datoms).await;
    let sq = super::sqlite(&dir.join("big.sqlite"));
    sq.execute_batch("BEGIN").unwrap();
    for i in 0..items {
        sq.execute("INSERT INTO item (id, name) VALUES (?1, ?2)", params![i as i64, format!("n{i}")]).unwrap();
    }
    sq.execute_batch("COMMIT").unwrap();
    drop(sq);
    let sqlite_first = || {
        let t = Instant::now();
        let c = super::sqlite(&dir.join("big.sqlite"));
        let name: String = c.query_row("SELECT name FROM item WHERE id = ?1", params![(items / 2) as i64], |r| r.get(0)).unwrap();
        assert!(!name.is_empty());
        t.elapsed().as_secs_f64() * 1000.0
    };

    let (ours, conn, dbs) = first_read(|| file(dir), items / 2).await;
    let datoms_now = conn.db().count();
    rows.push((format!("restart with {datoms_now} datoms, log replay (ms to first read)"), ours, sqlite_first(), "lower is better"));
    let t = Instant::now();
    conn.snapshot().await.unwrap();
    let index_ms = t.elapsed().as_secs_f64() * 1000.0;
    drop(conn);
    drop(dbs);
    segment::clear_cache();
    let (ours, conn, _dbs) = first_read(|| file(dir), items / 2).await;
    assert_eq!(conn.db().count(), datoms_now);
    rows.push((format!("restart with {datoms_now} datoms, from its index root (ms to first read)"), ours, sqlite_first(), "lower is better"));
    eprintln!("indexing {datoms_now} datoms took {index_ms:.0} ms");

    // Cold pulls: every segment read from storage (the OS's page cache stays warm).
    let db = conn.db();
    let n = 200;
    let mut cold = 0.0;
    for i in 0..n {
        segment::clear_cache();
        let t = Instant::now();
        pull(&db, (i * 7919) % items).await;
        cold += t.elapsed().as_secs_f64();
    }
    let mut theirs = 0.0;
    for i in 0..n {
        let t = Instant::now();
        let c = super::sqlite(&dir.join("big.sqlite"));
        let _: String = c.query_row("SELECT name FROM item WHERE id = ?1", params![((i * 7919) % items) as i64], |r| r.get(0)).unwrap();
        theirs += t.elapsed().as_secs_f64();
    }
    rows.push(("cold pull by unique id, empty segment cache (µs; SQLite: a new connection each)".into(), cold * 1e6 / n as f64, theirs * 1e6 / n as f64, "lower is better"));
    // Warm pulls: the same lookups again and again.
    let lookups = 20_000;
    for i in 0..lookups {
        pull(&db, (i * 7919) % items).await;
    }
    let t = Instant::now();
    for i in 0..lookups {
        pull(&db, (i * 7919) % items).await;
    }
    let ours = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    let c = super::sqlite(&dir.join("big.sqlite"));
    let mut stmt = c.prepare("SELECT name FROM item WHERE id = ?1").unwrap();
    let t = Instant::now();
    for i in 0..lookups {
        let _: String = stmt.query_row(params![((i * 7919) % items) as i64], |r| r.get(0)).unwrap();
    }
    let theirs = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    rows.push(("warm pull by unique id, from segments (µs per lookup)".into(), ours, theirs, "lower is better"));
    let stats = segment::cache_stats();
    eprintln!("segment cache: {} hits, {} misses, {} MiB held", stats.hits, stats.misses, stats.bytes >> 20);

    if let Ok(url) = std::env::var("BENCH_PG_URL") {
        let pg = || Databases::new(Arc::new(PostgresStorage::new(&url, "bench postgres".into()).unwrap())).with_snapshot_every(u64::MAX);
        let dbs = pg();
        build(&dbs, datoms).await;
        dbs.connect("big").await.unwrap().snapshot().await.unwrap();
        drop(dbs);
        segment::clear_cache();
        let (ours, conn, _dbs) = first_read(pg, items / 2).await;
        assert_eq!(conn.db().count(), datoms_now);
        let t = Instant::now();
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let row = client.query_one("SELECT count(*) FROM ion_log", &[]).await.unwrap();
        let _: i64 = row.get(0);
        let theirs = t.elapsed().as_secs_f64() * 1000.0;
        rows.push((format!("restart with {datoms_now} datoms on PostgreSQL, from its index root (ms to first read; PostgreSQL: a new session's first SELECT)"), ours, theirs, "lower is better"));
    }
    rows
}
