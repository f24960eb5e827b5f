//! `postgres://…`: databases in three tables of a PostgreSQL database, through
//! tokio-postgres and a deadpool pool (which replaces connections a server restart
//! closed).
//!
//! - `ion_databases (name, id)`: the catalog; `id` is new for every creation, so a
//!   database deleted and created again never mixes with its old records.
//! - `ion_log (db, t, record)`: one row per transaction. Its primary key `(db, t)` is
//!   the serial order: an append is one `INSERT` of a batch, all or nothing, and a
//!   unique violation means another node took the `t`. The same statement `NOTIFY`s
//!   channel `ion_log` with `"<id> <t>"`, delivered when it commits; every node `LISTEN`s.
//! - `ion_snapshots (db, t, bytes)`: the newest two index roots (or, from older
//!   versions, snapshots) of each database.
//! - `ion_segments (db, key, bytes)`: index segments, named by their hash.
//!
//! Every statement has a deadline; a server that is down, restarting or refusing the
//! credentials is `Unavailable`, naming the storage and the server's reason.

use super::{Appended, Cursor, DbStorage, Record, Snapshot, Storage, StorageError, Wake};
use crate::segment::{Key, SegmentSource};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use segments::PgSegments;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

#[path = "postgres_segments.rs"]
mod segments;

/// How long one statement (or getting a connection for it) may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// The channel commits are announced on.
const CHANNEL: &str = "ion_log";

/// A commit: the batch's rows, all or nothing (the primary key refuses a taken `t`), and
/// one notice on `CHANNEL` naming the database and the batch's last `t`.
static APPEND: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH ins AS (INSERT INTO ion_log (db, t, record) \
           SELECT $1, x.t, x.r FROM unnest($2::bigint[], $3::bytea[]) AS x(t, r) RETURNING t) \
         SELECT pg_notify('{CHANNEL}', $1 || ' ' || max(t)) FROM ins"
    )
});

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ion_databases (
    name text PRIMARY KEY,
    id text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ion_log (
    db text NOT NULL REFERENCES ion_databases (id) ON DELETE CASCADE,
    t bigint NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (db, t));
CREATE TABLE IF NOT EXISTS ion_snapshots (
    db text NOT NULL REFERENCES ion_databases (id) ON DELETE CASCADE,
    t bigint NOT NULL,
    bytes bytea NOT NULL,
    PRIMARY KEY (db, t));
CREATE TABLE IF NOT EXISTS ion_segments (
    db text NOT NULL REFERENCES ion_databases (id) ON DELETE CASCADE,
    key bytea NOT NULL,
    bytes bytea NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (db, key));";

/// Databases in a PostgreSQL database.
pub struct PostgresStorage(Arc<Inner>);

struct Inner {
    pool: Pool,
    config: tokio_postgres::Config,
    describe: String,
    schema: OnceCell<()>,
}

impl PostgresStorage {
    /// The storage at connection string `uri`, shown as `describe`. Connects lazily.
    pub fn new(uri: &str, describe: String) -> Result<PostgresStorage, StorageError> {
        let mut config: tokio_postgres::Config = uri.parse().map_err(|e| {
            StorageError::unavailable(&describe, format!("not a connection string: {e}"))
        })?;
        config.connect_timeout(Duration::from_secs(5));
        config.application_name("ion-host");
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(8)
            .wait_timeout(Some(DEADLINE))
            .create_timeout(Some(DEADLINE))
            .recycle_timeout(Some(DEADLINE))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StorageError::unavailable(&describe, e))?;
        Ok(PostgresStorage(Arc::new(Inner {
            pool,
            config,
            describe,
            schema: OnceCell::new(),
        })))
    }
}

impl Inner {
    fn error(&self, what: &str, e: &(dyn std::error::Error + 'static)) -> StorageError {
        StorageError::unavailable(&self.describe, format!("{what}: {}", chain(e)))
    }

    /// A pooled connection, the tables created first (once per process).
    async fn client(&self) -> Result<deadpool_postgres::Object, StorageError> {
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| self.error("connecting", &e))?;
        self.schema
            .get_or_try_init(|| async {
                // Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog: take a
                // lock for it, held until the transaction ends.
                let sql = format!("BEGIN; SELECT pg_advisory_xact_lock(7260411); {SCHEMA} COMMIT;");
                within(client.batch_execute(&sql))
                    .await
                    .map_err(|e| self.error("creating the tables", &e))
            })
            .await?;
        Ok(client)
    }
}

/// `e` and its sources, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Runs `f` within `DEADLINE`, a timeout being an error like any other.
async fn within<T>(
    f: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, Timeout> {
    match tokio::time::timeout(DEADLINE, f).await {
        Ok(r) => r.map_err(Timeout::Db),
        Err(_) => Err(Timeout::Elapsed),
    }
}

/// A statement's failure: the server's error, or no answer within the deadline.
#[derive(Debug, thiserror::Error)]
enum Timeout {
    #[error(transparent)]
    Db(tokio_postgres::Error),
    #[error("no answer within {} s", DEADLINE.as_secs())]
    Elapsed,
}

impl Timeout {
    fn code(&self) -> Option<&SqlState> {
        match self {
            Timeout::Db(e) => e.code(),
            Timeout::Elapsed => None,
        }
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    fn describe(&self) -> &str {
        &self.0.describe
    }

    async fn create(&self, name: &str) -> Result<(), StorageError> {
        let client = self.0.client().await?;
        let id = uuid::Uuid::new_v4().to_string();
        within(client.execute(
            "INSERT INTO ion_databases (name, id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &id],
        ))
        .await
        .map_err(|e| self.0.error(&format!("creating database {name}"), &e))?;
        Ok(())
    }

    async fn list(&self) -> Result<Vec<String>, StorageError> {
        let client = self.0.client().await?;
        let rows = within(client.query("SELECT name FROM ion_databases ORDER BY name", &[]))
            .await
            .map_err(|e| self.0.error("listing databases", &e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let client = self.0.client().await?;
        within(client.execute("DELETE FROM ion_databases WHERE name = $1", &[&name]))
            .await
            .map_err(|e| self.0.error(&format!("deleting database {name}"), &e))?;
        Ok(())
    }

    async fn open(&self, name: &str) -> Result<Arc<dyn DbStorage>, StorageError> {
        let client = self.0.client().await?;
        let row =
            within(client.query_opt("SELECT id FROM ion_databases WHERE name = $1", &[&name]))
                .await
                .map_err(|e| self.0.error(&format!("opening database {name}"), &e))?;
        match row {
            Some(row) => Ok(Arc::new(PgDb {
                storage: self.0.clone(),
                id: row.get(0),
                name: name.to_owned(),
                handle: tokio::runtime::Handle::current(),
            })),
            None => Err(StorageError::NotFound {
                storage: self.0.describe.clone(),
                name: name.to_owned(),
            }),
        }
    }

    fn subscribe(&self, wake: Wake) -> bool {
        tokio::spawn(listen(self.0.clone(), wake));
        true
    }

    fn poll_interval(&self) -> Duration {
        // Notifications carry commits; polling only bounds the lag when one is lost.
        Duration::from_millis(500)
    }
}

/// Listens on `CHANNEL` and wakes the named databases, reconnecting whenever the
/// connection ends (a restart loses notifications sent meanwhile; polling finds those
/// records). Ends when the storage is dropped.
async fn listen(storage: Arc<Inner>, wake: Wake) {
    let weak = Arc::downgrade(&storage);
    let config = storage.config.clone();
    let describe = storage.describe.clone();
    drop(storage);
    let mut pause = Duration::from_millis(100);
    while weak.strong_count() > 0 {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                pause = Duration::from_millis(100);
                let messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let listen = format!("LISTEN {CHANNEL}");
                let listening = client.batch_execute(&listen);
                tokio::pin!(messages);
                let mut listening = std::pin::pin!(listening);
                let mut listened = false;
                loop {
                    use futures_util::StreamExt as _;
                    tokio::select! {
                        r = &mut listening, if !listened => {
                            listened = true;
                            if let Err(e) = r {
                                tracing::warn!(storage = describe, "LISTEN failed: {}", chain(&e));
                                break;
                            }
                        }
                        m = messages.next() => match m {
                            Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                                if let Some((id, t)) = n.payload().split_once(' ')
                                    && let Ok(t) = t.parse()
                                {
                                    wake(id, t);
                                }
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => {
                                tracing::warn!(storage = describe, "the notification connection failed: {}", chain(&e));
                                break;
                            }
                            None => break,
                        },
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {
                            if weak.strong_count() == 0 {
                                return;
                            }
                        }
                    }
                }
            }
            Err(e) => {
                tracing::debug!(
                    storage = describe,
                    "cannot connect to listen: {}",
                    chain(&e)
                );
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// One database's rows.
struct PgDb {
    storage: Arc<Inner>,
    id: String,
    name: String,
    /// The runtime that drives blocking segment reads.
    handle: tokio::runtime::Handle,
}

impl PgDb {
    fn segments_here(&self) -> PgSegments {
        PgSegments {
            storage: self.storage.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            handle: self.handle.clone(),
        }
    }

    fn error(&self, what: &str, e: &(dyn std::error::Error + 'static)) -> StorageError {
        self.storage
            .error(&format!("{what} of database {}", self.name), e)
    }

    fn deleted(&self) -> StorageError {
        StorageError::NotFound {
            storage: self.storage.describe.clone(),
            name: self.name.clone(),
        }
    }
}

impl PgDb {
    /// Runs `sql` through the connection's cache of prepared statements: a statement is
    /// parsed once per connection, and each later run is one round trip.
    async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StorageError> {
        let client = self.storage.client().await?;
        let run = async {
            let statement = client.prepare_cached(sql).await?;
            client.query(&statement, params).await
        };
        within(run)
            .await
            .map_err(|e| self.error("reading the log", &e))
    }
}

#[async_trait]
impl DbStorage for PgDb {
    fn id(&self) -> &str {
        &self.id
    }

    async fn append(&self, after: Cursor, records: &[Record]) -> Result<Appended, StorageError> {
        let client = self.storage.client().await?;
        let ts: Vec<i64> = records.iter().map(|r| r.t).collect();
        let bytes: Vec<&[u8]> = records.iter().map(|r| r.bytes.as_slice()).collect();
        let run = async {
            let statement = client.prepare_cached(&APPEND).await?;
            client.query(&statement, &[&self.id, &ts, &bytes]).await
        };
        match within(run).await {
            Ok(_) => Ok(Appended::All(Cursor {
                t: ts.last().copied().unwrap_or(after.t),
                offset: 0,
            })),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(Appended::Conflict {
                written: 0,
                cursor: after,
            }),
            Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => Err(self.deleted()),
            Err(e) => Err(self.error("appending to the log", &e)),
        }
    }

    async fn read(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<Record>, Cursor), StorageError> {
        let rows = self
            .rows(
                "SELECT t, record FROM ion_log WHERE db = $1 AND t > $2 ORDER BY t LIMIT $3",
                &[&self.id, &after.t, &(limit as i64)],
            )
            .await?;
        let mut records = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let t: i64 = row.get(0);
            if t != after.t + 1 + i as i64 {
                return Err(StorageError::corrupt(
                    &self.storage.describe,
                    format!(
                        "database {}: the log skips from t {} to t {t}",
                        self.name,
                        after.t + i as i64
                    ),
                ));
            }
            records.push(Record {
                t,
                bytes: row.get(1),
            });
        }
        let cursor = Cursor {
            t: records.last().map_or(after.t, |r| r.t),
            offset: 0,
        };
        Ok((records, cursor))
    }

    async fn record_at(
        &self,
        t: i64,
        _near: Cursor,
    ) -> Result<Option<(Record, Cursor)>, StorageError> {
        let rows = self
            .rows(
                "SELECT record FROM ion_log WHERE db = $1 AND t = $2",
                &[&self.id, &t],
            )
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .map(|r| (Record { t, bytes: r.get(0) }, Cursor { t, offset: 0 })))
    }

    async fn load_snapshot(&self) -> Result<Option<Snapshot>, StorageError> {
        let client = self.storage.client().await?;
        let row = within(client.query_opt(
            "SELECT t, bytes FROM ion_snapshots WHERE db = $1 ORDER BY t DESC LIMIT 1",
            &[&self.id],
        ))
        .await
        .map_err(|e| self.error("reading the snapshot", &e))?;
        Ok(row.map(|r| Snapshot {
            cursor: Cursor {
                t: r.get(0),
                offset: 0,
            },
            bytes: r.get(1),
        }))
    }

    async fn roots(&self) -> Result<Vec<Snapshot>, StorageError> {
        let rows = self
            .rows(
                "SELECT t, bytes FROM ion_snapshots WHERE db = $1 ORDER BY t DESC",
                &[&self.id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Snapshot {
                cursor: Cursor {
                    t: r.get(0),
                    offset: 0,
                },
                bytes: r.get(1),
            })
            .collect())
    }

    async fn list_segments(&self) -> Result<Vec<super::StoredSegment>, StorageError> {
        self.segments_here().list().await
    }

    async fn delete_segments(&self, keys: Vec<Key>) -> Result<(), StorageError> {
        self.segments_here().delete(&keys).await
    }

    async fn put_segment(&self, key: Key, bytes: Vec<u8>) -> Result<(), StorageError> {
        let client = self.storage.client().await?;
        within(client.execute(
            "INSERT INTO ion_segments (db, key, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&self.id, &key.0.as_slice(), &bytes],
        ))
        .await
        .map_err(|e| self.error("writing a segment", &e))?;
        Ok(())
    }

    fn segments(&self) -> Arc<dyn SegmentSource> {
        Arc::new(self.segments_here())
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StorageError> {
        let client = self.storage.client().await?;
        let t = snapshot.cursor.t;
        within(client.execute(
            "INSERT INTO ion_snapshots (db, t, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&self.id, &t, &snapshot.bytes],
        ))
        .await
        .map_err(|e| self.error("writing a snapshot", &e))?;
        // Keep the newest two: one being read by a node that is opening stays whole.
        within(client.execute(
            "DELETE FROM ion_snapshots WHERE db = $1 AND t < \
               (SELECT t FROM ion_snapshots WHERE db = $1 ORDER BY t DESC OFFSET 1 LIMIT 1)",
            &[&self.id],
        ))
        .await
        .map_err(|e| self.error("dropping old snapshots", &e))?;
        Ok(())
    }
}
