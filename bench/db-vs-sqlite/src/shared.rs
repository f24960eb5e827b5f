//! The shared database on PostgreSQL storage beside PostgreSQL itself, on the server
//! scripts/bench-db starts (Debian's package, a temp cluster, loopback, fsync on):
//! 1-datom durable transactions one at a time against `INSERT …` autocommitted one at a
//! time; the same with three writers at once (three `Databases`, each with its own pool
//! and committer, as three nodes have, against three PostgreSQL sessions); and the lag
//! from one node's acknowledgement to visibility on another, against PostgreSQL's own
//! `NOTIFY` → `LISTEN` delivery.

use ion_host::db::storage::PostgresStorage;
use ion_host::db::{Databases, NoFunctions};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::{AsyncMessage, NoTls};

const SCHEMA: &str = r#"[{:db/ident :item/id :db/valueType :db.type/long :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}]"#;

/// One "node": its own storage client (pool, listener) and databases.
fn node(url: &str) -> Databases {
    Databases::new(Arc::new(PostgresStorage::new(url, "bench postgres".into()).unwrap()))
}

async fn client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

fn tx(i: usize) -> ion_edn::Edn<'static> {
    ion_edn::read(&format!("[[:db/add \"e\" :item/id {i}]]")).unwrap()
}

/// `writers` nodes each commit `per` 1-datom transactions at once: transactions a second.
async fn ours(url: &str, name: &str, writers: usize, per: usize) -> f64 {
    let setup = node(url);
    setup.create(name).await.unwrap();
    let conn = setup.connect(name).await.unwrap();
    conn.transact(&ion_edn::read(SCHEMA).unwrap(), &NoFunctions).await.unwrap();
    drop(conn);
    drop(setup);
    let mut conns = Vec::new();
    let mut nodes = Vec::new();
    for _ in 0..writers {
        let dbs = node(url);
        conns.push(dbs.connect(name).await.unwrap());
        nodes.push(dbs);
    }
    let start = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(w, conn)| {
            tokio::spawn(async move {
                for i in 0..per {
                    conn.transact(&tx(w * per + i), &NoFunctions).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (writers * per) as f64 / start.elapsed().as_secs_f64()
}

/// `writers` PostgreSQL sessions each run `per` autocommitted one-row `INSERT`s at once.
async fn theirs(url: &str, table: &str, writers: usize, per: usize) -> f64 {
    let c = client(url).await;
    c.batch_execute(&format!("CREATE TABLE {table} (id bigint PRIMARY KEY)")).await.unwrap();
    let mut clients = Vec::new();
    for _ in 0..writers {
        clients.push(client(url).await);
    }
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(w, c)| {
            let insert = format!("INSERT INTO {table} (id) VALUES ($1)");
            tokio::spawn(async move {
                let insert = c.prepare(&insert).await.unwrap();
                for i in 0..per {
                    c.execute(&insert, &[&((w * per + i) as i64)]).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (writers * per) as f64 / start.elapsed().as_secs_f64()
}

/// p50 and p99 of `samples`, in µs.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    (at(0.50), at(0.99))
}

/// From acknowledgement on node A to visibility on node B, `n` times.
async fn our_lag(url: &str, n: usize) -> (f64, f64) {
    let (a, b) = (node(url), node(url));
    a.create("lag").await.unwrap();
    let writer = a.connect("lag").await.unwrap();
    writer.transact(&ion_edn::read(SCHEMA).unwrap(), &NoFunctions).await.unwrap();
    let reader = b.connect("lag").await.unwrap();
    let mut basis = reader.basis();
    let mut lags = Vec::with_capacity(n);
    for i in 0..n {
        let report = writer.transact(&tx(i), &NoFunctions).await.unwrap();
        let acked = Instant::now();
        let t = report.db_after.basis_t();
        basis.wait_for(|seen| *seen >= t).await.unwrap();
        lags.push(acked.elapsed());
    }
    percentiles(lags)
}

/// From the end of a `NOTIFY` on one session to its delivery on a `LISTEN`ing one.
async fn their_lag(url: &str, n: usize) -> (f64, f64) {
    let (listener, mut conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(m) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
            if let Ok(AsyncMessage::Notification(note)) = m {
                let _ = tx.send(note.payload().to_owned());
            }
        }
    });
    listener.batch_execute("LISTEN bench_lag").await.unwrap();
    let notifier = client(url).await;
    let mut lags = Vec::with_capacity(n);
    for i in 0..n {
        notifier.batch_execute(&format!("NOTIFY bench_lag, '{i}'")).await.unwrap();
        let sent = Instant::now();
        assert_eq!(rx.recv().await.unwrap(), i.to_string());
        lags.push(sent.elapsed());
    }
    percentiles(lags)
}

/// The rows: (measure, ours, PostgreSQL's, which way is better).
pub async fn run(url: &str) -> Vec<(String, f64, f64, &'static str)> {
    let n = 2000;
    let one = (ours(url, "one", 1, n).await, theirs(url, "one_writer", 1, n).await);
    let three = (
        ours(url, "three", 3, n / 3).await,
        theirs(url, "three_writers", 3, n / 3).await,
    );
    let (lag, their) = (our_lag(url, 1000).await, their_lag(url, 1000).await);
    vec![
        ("1-datom transactions, one writer (tx/s)".into(), one.0, one.1, "higher is better"),
        ("1-datom transactions, three nodes writing at once (tx/s)".into(), three.0, three.1, "higher is better"),
        ("lag from acknowledgement to another node, p50 (µs)".into(), lag.0, their.0, "lower is better"),
        ("lag from acknowledgement to another node, p99 (µs)".into(), lag.1, their.1, "lower is better"),
    ]
}
