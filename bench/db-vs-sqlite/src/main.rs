//! Prints a markdown table: the embedded database and SQLite doing the same work, each
//! durable per transaction (our log fsyncs every transaction; SQLite runs in WAL mode with
//! `synchronous=FULL`), and the ratios. Usage: db-vs-sqlite WORK-DIR [DATOMS-FOR-RESTART]

mod big;
mod floor;
mod queries;
mod restart;
mod shared;

use ion_host::db::{Databases, NoFunctions, api};
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::{Duration, Instant};

pub const SCHEMA: &str = r#"[{:db/ident :item/id :db/valueType :db.type/long :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
 {:db/ident :item/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]"#;

pub fn sqlite(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    )
    .unwrap();
    c
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// The `i`th id to look up, spread over the ids the bulk load wrote (`b * per + j`,
/// `j < per / 2`).
fn existing(i: usize, txs: usize, per: usize) -> usize {
    let k = (i * 7919) % (txs * per / 2);
    (k / (per / 2)) * per + k % (per / 2)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    if std::env::args().nth(1).as_deref() == Some("--open-huge") {
        // The child of the large-database rows (big.rs).
        let dir = std::path::PathBuf::from(std::env::args().nth(2).unwrap());
        big::open(&dir, std::env::args().nth(3).unwrap().parse().unwrap()).await;
        return;
    }
    let dir = std::path::PathBuf::from(args.next().expect("usage: db-vs-sqlite WORK-DIR [DATOMS]"));
    let restart_datoms: usize = args.next().map_or(1_000_000, |s| s.parse().unwrap());
    let app = args.next().map(std::path::PathBuf::from);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let huge: usize = std::env::var("BENCH_BIG_DATOMS").map_or(20_000_000, |s| s.parse().unwrap());
    if std::env::var("BENCH_ROWS").as_deref() == Ok("big") {
        // A quick look at a database larger than the segment cache.
        println!("| measure | Ion Host db | SQLite | ion / sqlite | |");
        println!("|---|---|---|---|---|");
        for (name, ours, theirs, better) in big::run(&dir, huge).await {
            println!("| {name} | {ours:.1} | {theirs:.1} | {:.2} | {better} |", ours / theirs);
        }
        return;
    }
    if std::env::var("BENCH_ROWS").as_deref() == Ok("restart") {
        // A quick look at opening and reading a large database.
        println!("| measure | Ion Host db | SQLite | ion / sqlite | |");
        println!("|---|---|---|---|---|");
        for (name, ours, theirs, better) in restart::run(&dir, restart_datoms).await {
            println!("| {name} | {ours:.1} | {theirs:.1} | {:.2} | {better} |", ours / theirs);
        }
        return;
    }
    if std::env::var("BENCH_ROWS").as_deref() == Ok("queries") {
        // A quick look at the query engine: the query table only.
        print_queries(queries::run(&dir, app.as_deref()).await);
        return;
    }
    let dbs = Databases::file(dir.join("ion"));
    let mut rows: Vec<(String, f64, f64, &str)> = Vec::new();

    // 1. One-datom transactions, in rounds that alternate between the two, so that the
    //    disk's moods (this host's fsync rate moves several-fold within minutes) fall on
    //    both alike.
    let (n1, rounds) = (2000, 5);
    dbs.create("one").await.unwrap();
    let conn = dbs.connect("one").await.unwrap();
    conn.transact(&ion_edn::read(SCHEMA).unwrap(), &NoFunctions).await.unwrap();
    let sq = sqlite(&dir.join("one.sqlite"));
    let (mut ours_time, mut theirs_time) = (Duration::ZERO, Duration::ZERO);
    for round in 0..rounds {
        let ids = round * n1 / rounds..(round + 1) * n1 / rounds;
        let t = Instant::now();
        for i in ids.clone() {
            let tx = ion_edn::read(&format!("[[:db/add \"e\" :item/id {i}]]")).unwrap();
            conn.transact(&tx, &NoFunctions).await.unwrap();
        }
        ours_time += t.elapsed();
        let t = Instant::now();
        for i in ids {
            sq.execute("INSERT INTO item (id, name) VALUES (?1, '')", params![i as i64]).unwrap();
        }
        theirs_time += t.elapsed();
    }
    let (ours, theirs) = (rate(n1, ours_time), rate(n1, theirs_time));
    rows.push(("1-datom transactions (datoms/s)".into(), ours, theirs, "higher is better"));

    if std::env::var("BENCH_ROWS").as_deref() == Ok("writes") {
        // A quick look at the small-transaction path: row 1 and its floor only.
        let floor_rows = floor::run(&dir).await;
        let (name, ours, theirs, _) = &rows[0];
        println!("| {name} | {ours:.1} | {theirs:.1} | {:.2} |", ours / theirs);
        let inline = floor_rows[0].1;
        for (how, rate) in floor_rows {
            println!("| {how} | {rate:.0} | {:.2} |", rate / inline);
        }
        println!("| ours / inline floor | {:.2} |", ours / inline);
        return;
    }

    // 2. 1000-datom transactions.
    let (txs, per) = (50, 1000);
    dbs.create("bulk").await.unwrap();
    let conn = dbs.connect("bulk").await.unwrap();
    conn.transact(&ion_edn::read(SCHEMA).unwrap(), &NoFunctions).await.unwrap();
    let t = Instant::now();
    for b in 0..txs {
        let items: String = (0..per / 2)
            .map(|i| format!("{{:item/id {} :item/name \"item {i}\"}}", b * per + i))
            .collect();
        conn.transact(&ion_edn::read(&format!("[{items}]")).unwrap(), &NoFunctions).await.unwrap();
    }
    let ours = rate(txs * per, t.elapsed());
    let mut sq = sqlite(&dir.join("bulk.sqlite"));
    let t = Instant::now();
    for b in 0..txs {
        let tx = sq.transaction().unwrap();
        for i in 0..per / 2 {
            tx.execute("INSERT INTO item (id, name) VALUES (?1, ?2)", params![(b * per + i) as i64, format!("item {i}")])
                .unwrap();
        }
        tx.commit().unwrap();
    }
    // SQLite writes one row per entity; count its work in datoms (two columns) too.
    let theirs = rate(txs * per, t.elapsed());
    rows.push(("1000-datom transactions (datoms/s)".into(), ours, theirs, "higher is better"));

    // 3. Pull latency by unique id.
    let db = conn.db();
    let lookups = 20_000;
    let t = Instant::now();
    for i in 0..lookups {
        let id = existing(i, txs, per);
        let req = ion_edn::read(&format!("{{:selector [:item/id :item/name] :eid [:item/id {id}]}}")).unwrap();
        let v = api::pull_request(&db, &req, &NoFunctions).await.unwrap();
        assert!(!matches!(v, ion_edn::Edn::Nil));
    }
    let ours = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    let mut stmt = sq.prepare("SELECT id, name FROM item WHERE id = ?1").unwrap();
    let t = Instant::now();
    for i in 0..lookups {
        let id = existing(i, txs, per);
        let name: String = stmt.query_row(params![id as i64], |r| r.get(1)).unwrap();
        assert!(!name.is_empty());
    }
    let theirs = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    rows.push(("pull by unique id (µs per lookup)".into(), ours, theirs, "lower is better"));
    drop(stmt);

    // 4. Restart with `restart_datoms` datoms, and reads of that database.
    rows.extend(restart::run(&dir, restart_datoms).await);

    let floor_rows = floor::run(&dir).await;
    let query_rows = queries::run(&dir, app.as_deref()).await;
    let shared_rows = match std::env::var("BENCH_PG_URL") {
        Ok(url) => shared::run(&url).await,
        Err(_) => Vec::new(),
    };
    // Last, so that the 20 M-datom build leaves no trace on the rows above: a database
    // larger than the segment cache.
    let big_rows = big::run(&dir, huge).await;

    let one_datom = rows[0].1;
    println!("| measure | Ion Host db | SQLite (WAL, synchronous=FULL) | ion / sqlite | |");
    println!("|---|---|---|---|---|");
    for (name, ours, theirs, better) in rows {
        println!("| {name} | {ours:.1} | {theirs:.1} | {:.2} | {better} |", ours / theirs);
    }
    println!();
    print_queries(query_rows);
    println!();
    println!("| append 120 bytes + fdatasync, {} times | appends/s | / inline |", 2000);
    println!("|---|---|---|");
    let inline = floor_rows[0].1;
    for (how, rate) in floor_rows {
        println!("| {how} | {rate:.0} | {:.2} |", rate / inline);
    }
    println!("| 1-datom transactions above, for comparison | {:.0} | {:.2} |", one_datom, one_datom / inline);
    println!();
    println!("| a database larger than the segment cache | Ion Host db | SQLite | ion / sqlite | |");
    println!("|---|---|---|---|---|");
    for (name, ours, theirs, better) in big_rows {
        println!("| {name} | {ours:.1} | {theirs:.1} | {:.2} | {better} |", ours / theirs);
    }
    if !shared_rows.is_empty() {
        println!();
        println!("| on PostgreSQL storage | Ion Host db | PostgreSQL itself | ion / postgres | |");
        println!("|---|---|---|---|---|");
        for (name, ours, theirs, better) in shared_rows {
            println!("| {name} | {ours:.1} | {theirs:.1} | {:.2} | {better} |", ours / theirs);
        }
    }
}

fn print_queries(query_rows: Vec<(String, f64, f64, Option<f64>)>) {
    println!("| query over 20,000 people | Ion Host q (µs) | SQLite (µs) | ion / sqlite | DataScript (µs) | ion / datascript |");
    println!("|---|---|---|---|---|---|");
    for (name, ours, theirs, peer) in query_rows {
        let (peer, ratio) = match peer {
            Some(p) => (format!("{p:.0}"), format!("{:.2}", ours / p)),
            None => ("—".into(), "—".into()),
        };
        println!("| {name} | {ours:.0} | {theirs:.0} | {:.1} | {peer} | {ratio} |", ours / theirs);
    }
}
