//! A database larger than the segment cache (issue 19): BENCH_BIG_DATOMS datoms (default
//! 20,000,000; items with a unique id and a name, two datoms each) built on `file:`
//! storage with indexing on as a node has it, then opened by a second process, as a node
//! with `ION_DB_CACHE_BYTES=256MiB` would: the time to the first read, point pulls (p50
//! and p99, mostly cache misses), a range query over 100,000 ids, and a scan of every
//! datom, each beside SQLite on the same rows, and the process's peak RSS.
//! Names are zero-padded (`n000001234`) so that they sort as the ids do, and indexing
//! appends instead of rewriting every name segment each time (see docs/performance.md).

use ion_host::db::query::{Input, q};
use ion_host::db::{Databases, Index, NoFunctions, api};
use rusqlite::params;
use std::path::Path;
use std::time::Instant;

type Row = (String, f64, f64, &'static str);

const CACHE: &str = "256MiB";

/// Builds the database and the SQLite file under `dir`, then runs the reads in a child
/// process (so its RSS is a node's that only opened the database) and returns its rows.
pub async fn run(dir: &Path, datoms: usize) -> Vec<Row> {
    let items = datoms / 2;
    let t = Instant::now();
    {
        let dbs = Databases::file(dir.join("ion-huge"));
        dbs.create("huge").await.unwrap();
        let conn = dbs.connect("huge").await.unwrap();
        conn.transact(&ion_edn::read(super::SCHEMA).unwrap(), &NoFunctions).await.unwrap();
        let batch = 2500;
        for b in 0..items / batch {
            let data: String = (0..batch)
                .map(|i| {
                    let id = b * batch + i;
                    format!("{{:item/id {id} :item/name \"n{id:09}\"}}")
                })
                .collect();
            conn.transact(&ion_edn::read(&format!("[{data}]")).unwrap(), &NoFunctions).await.unwrap();
        }
        conn.snapshot().await.unwrap();
    }
    eprintln!("built {datoms} datoms (indexing as it went) in {:.0} s", t.elapsed().as_secs_f64());
    let sq = super::sqlite(&dir.join("huge.sqlite"));
    sq.execute_batch("BEGIN").unwrap();
    for id in 0..items {
        sq.execute("INSERT INTO item (id, name) VALUES (?1, ?2)", params![id as i64, format!("n{id:09}")]).unwrap();
    }
    sq.execute_batch("COMMIT").unwrap();
    drop(sq);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--open-huge"])
        .arg(dir)
        .arg(datoms.to_string())
        .env("ION_DB_CACHE_BYTES", CACHE)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_owned(), f[1].parse().unwrap(), f[2].parse().unwrap(), if f[3] == "lower" { "lower is better" } else { "higher is better" })
        })
        .collect()
}

fn rss_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / 1024.0
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[((xs.len() as f64 - 1.0) * p).round() as usize]
}

/// The child: opens the database with the small cache and prints its rows (TSV).
pub async fn open(dir: &Path, datoms: usize) {
    let items = datoms / 2;
    let emit = |name: &str, ours: f64, theirs: f64| println!("{name}\t{ours}\t{theirs}\tlower");
    let pull = |db: &ion_host::db::Db, id: usize| {
        let req = ion_edn::read(&format!("{{:selector [:item/name] :eid [:item/id {id}]}}")).unwrap();
        let db = db.clone();
        async move {
            let v = api::pull_request(&db, &req, &NoFunctions).await.unwrap();
            assert!(!matches!(v, ion_edn::Edn::Nil), "item {id}");
        }
    };
    let sq = super::sqlite(&dir.join("huge.sqlite"));
    let t = Instant::now();
    let dbs = Databases::file(dir.join("ion-huge"));
    let conn = dbs.connect("huge").await.unwrap();
    let db = conn.db();
    pull(&db, items / 3).await;
    let ours = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let c = super::sqlite(&dir.join("huge.sqlite"));
    let _: String = c.query_row("SELECT name FROM item WHERE id = ?1", params![(items / 3) as i64], |r| r.get(0)).unwrap();
    emit(&format!("{datoms} datoms, cache {CACHE}: restart (ms to first read)"), ours, t.elapsed().as_secs_f64() * 1000.0);
    eprintln!("RSS after opening {datoms} datoms: {:.0} MiB", rss_mib("VmRSS:"));

    let n = 2000;
    let ids: Vec<usize> = (0..n).map(|i| (i * 7_919_993 + 12_345) % items).collect();
    let mut ours = Vec::new();
    for &id in &ids {
        let t = Instant::now();
        pull(&db, id).await;
        ours.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let mut stmt = sq.prepare("SELECT name FROM item WHERE id = ?1").unwrap();
    let mut theirs = Vec::new();
    for &id in &ids {
        let t = Instant::now();
        let _: String = stmt.query_row(params![id as i64], |r| r.get(0)).unwrap();
        theirs.push(t.elapsed().as_secs_f64() * 1e6);
    }
    emit(&format!("{datoms} datoms: point pull, p50 (µs)"), percentile(ours.clone(), 0.5), percentile(theirs.clone(), 0.5));
    emit(&format!("{datoms} datoms: point pull, p99 (µs)"), percentile(ours, 0.99), percentile(theirs, 0.99));

    let lo = items / 2;
    let query = ion_edn::read(&format!(
        "[:find (count ?e) . :where [?e :item/id ?id] [(>= ?id {lo})] [(< ?id {})]]",
        lo + 100_000
    ))
    .unwrap();
    let t = Instant::now();
    let r = q(&query, vec![Input::Db(&db)], &NoFunctions).await.unwrap();
    let ours = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(ion_edn::print(&r), "100000");
    let t = Instant::now();
    let count: i64 = sq
        .query_row("SELECT count(*) FROM item WHERE id >= ?1 AND id < ?2", params![lo as i64, (lo + 100_000) as i64], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 100_000);
    emit(&format!("{datoms} datoms: range q over 100,000 ids (ms)"), ours, t.elapsed().as_secs_f64() * 1000.0);

    let t = Instant::now();
    let (count, chars) = db
        .fold(Index::Eavt, (0usize, 0usize), |(n, c), d| {
            (n + 1, c + match &d.v { ion_host::db::Value::Str(s) => s.len(), _ => 0 })
        })
        .unwrap();
    let ours = t.elapsed().as_secs_f64() * 1000.0;
    assert!(count >= datoms, "{count}");
    let t = Instant::now();
    let (rows, theirs_chars): (i64, i64) = sq
        .query_row("SELECT count(*), sum(length(name)) FROM item", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    // Ours also holds the schema's datoms (and their strings).
    assert!(rows as usize == items && chars >= theirs_chars as usize, "{rows} {theirs_chars} {chars}");
    emit(&format!("{datoms} datoms: scan of every datom (ms)"), ours, t.elapsed().as_secs_f64() * 1000.0);
    let peak = rss_mib("VmHWM:");
    // Memory per datom of the tail: transactions after the root stay in memory until the
    // next indexing (64 MiB of log away, more than these).
    let before = rss_mib("VmRSS:");
    let tail_items = 250_000;
    for b in 0..tail_items / 2500 {
        let data: String = (0..2500)
            .map(|i| {
                let id = items + b * 2500 + i;
                format!("{{:item/id {id} :item/name \"n{id:09}\"}}")
            })
            .collect();
        conn.transact(&ion_edn::read(&format!("[{data}]")).unwrap(), &NoFunctions).await.unwrap();
    }
    let tail = conn.db().tail_datoms();
    let per = (rss_mib("VmRSS:") - before) * 1024.0 * 1024.0 / tail as f64;
    eprintln!("tail of {tail} datoms: {per:.0} bytes of RSS per datom");
    println!("{datoms} datoms: RSS per datom of the unindexed tail (bytes; beside: SQLite's file bytes per row)\t{per}\t{}\tlower", std::fs::metadata(dir.join("huge.sqlite")).unwrap().len() as f64 / items as f64);
    eprintln!("peak RSS of the reading process: {peak:.0} MiB (cache {CACHE})");
    println!("{datoms} datoms, cache {CACHE}: peak RSS of the reading node (MiB; beside: the 1 GiB bound)\t{peak}\t1024\tlower");
}
