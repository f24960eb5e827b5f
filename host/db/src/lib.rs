//! The Ion Host database: immutable database values of datoms in persistent sorted
//! indexes (`value_db`, `datom`), schema as data (`schema`), the transactor (`expand`
//! turns tx-data into operations, calling ion transaction functions; `transact`
//! resolves and checks them), `pull`, and durability (`log`: append + fsync before
//! acknowledging, replay on open). Named databases live under `$ION_HOME/db/<name>/`.
//!
//! Knows nothing of wasmtime: ion functions are reached through the `Functions` trait,
//! which the runtime implements.

pub mod api;
pub mod datom;
pub mod expand;
pub mod log;
pub mod pull;
pub mod query;
pub mod schema;
pub mod snapshot;
pub mod transact;
pub mod value;
pub mod value_db;

#[cfg(test)]
mod tests;

pub use transact::TxReport;
pub use value::Value;
pub use value_db::{Components, Db, Index, View};

use arc_swap::ArcSwap;
use ion_anomaly::{Category, IonError};
use ion_edn::Edn;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A call of an ion function in flight.
pub type FnFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Edn<'static>, IonError>> + Send + 'a>,
>;

/// The app's functions, as the database calls them. Implementations check `:allow` and
/// `:xforms` and answer `forbidden` for names outside them.
pub trait Functions: Send + Sync {
    /// Transaction function `name` with the database before the transaction.
    fn tx_fn<'a>(&'a self, name: &'a str, db: &'a Db, args: Vec<Edn<'static>>) -> FnFuture<'a>;
    /// Predicate `name` (attribute predicates get the value; entity predicates the
    /// database after and the entity id).
    fn predicate<'a>(
        &'a self,
        name: &'a str,
        args: Vec<Edn<'static>>,
        db: Option<&'a Db>,
    ) -> FnFuture<'a>;
    /// Xform `name` on a pulled value.
    fn xform<'a>(&'a self, name: &'a str, value: Edn<'static>) -> FnFuture<'a>;
}

/// No app: every function call is refused.
pub struct NoFunctions;

impl NoFunctions {
    fn refuse(kind: &str, name: &str) -> FnFuture<'static> {
        let msg = format!(
            "{kind} {name} cannot run: no app is loaded here (pass --app to run the app's functions)"
        );
        Box::pin(async move { Err(IonError::new(Category::Forbidden, msg)) })
    }
}

impl Functions for NoFunctions {
    fn tx_fn<'a>(&'a self, name: &'a str, _db: &'a Db, _args: Vec<Edn<'static>>) -> FnFuture<'a> {
        NoFunctions::refuse("transaction function", name)
    }
    fn predicate<'a>(
        &'a self,
        name: &'a str,
        _args: Vec<Edn<'static>>,
        _db: Option<&'a Db>,
    ) -> FnFuture<'a> {
        NoFunctions::refuse("predicate", name)
    }
    fn xform<'a>(&'a self, name: &'a str, _value: Edn<'static>) -> FnFuture<'a> {
        NoFunctions::refuse("xform", name)
    }
}

/// What the database reports as it works (the host turns it into metrics).
pub trait Observer: Send + Sync {
    /// A transaction on database `db` ended, committed (`ok`) or not, after `took`.
    fn transaction(&self, db: &str, ok: bool, took: std::time::Duration);
}

/// Reports nothing.
pub struct NoObserver;

impl Observer for NoObserver {
    fn transaction(&self, _db: &str, _ok: bool, _took: std::time::Duration) {}
}

/// Wall-clock milliseconds since the epoch: a transaction's `:db/txInstant`.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// How long a transaction waits for the one before it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Log bytes written after the last snapshot that make the next one worth writing.
pub const SNAPSHOT_EVERY_BYTES: u64 = 64 << 20;

/// A connection to one named database: its current value and its log.
pub struct Connection {
    name: String,
    dir: PathBuf,
    current: ArcSwap<Db>,
    log: tokio::sync::Mutex<log::Log>,
    snapshot_every: u64,
    snapshotting: Arc<std::sync::atomic::AtomicBool>,
    observer: Arc<dyn Observer>,
}

impl Connection {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current database value.
    pub fn db(&self) -> Db {
        self.current.load().as_ref().clone()
    }

    /// Commits `tx_data`: returns once the transaction is on disk. Transactions run one
    /// at a time; a failed one changes nothing.
    pub async fn transact(
        &self,
        tx_data: &Edn<'_>,
        fns: &dyn Functions,
    ) -> Result<TxReport, IonError> {
        let started = std::time::Instant::now();
        let report = self.transact_unmeasured(tx_data, fns).await;
        self.observer
            .transaction(&self.name, report.is_ok(), started.elapsed());
        report
    }

    async fn transact_unmeasured(
        &self,
        tx_data: &Edn<'_>,
        fns: &dyn Functions,
    ) -> Result<TxReport, IonError> {
        let mut log = tokio::time::timeout(LOCK_WAIT, self.log.lock())
            .await
            .map_err(|_| {
                IonError::new(
                    Category::Busy,
                    format!(
                        "database {}: another transaction held it for {} s (a transaction function that transacts?)",
                        self.name,
                        LOCK_WAIT.as_secs()
                    ),
                )
            })?;
        let db = self.db();
        let now = now_ms();
        let report = transact::transact(&db, tx_data, fns, now).await?;
        let instant = report
            .tx_data
            .iter()
            .find(|d| d.a == schema::TX_INSTANT && d.e == schema::tx_of(report.db_after.basis_t()))
            .and_then(|d| match d.v {
                Value::Instant(ms) => Some(ms),
                _ => None,
            })
            .unwrap_or(now);
        log.append(
            report.db_after.basis_t(),
            report.db_after.next_n,
            instant,
            &report.tx_data,
        )
        .map_err(|e| {
            IonError::new(
                Category::Unavailable,
                format!("database {}: {e:#}", self.name),
            )
        })?;
        self.current.store(Arc::new(report.db_after.clone()));
        if log.len - log.snapshot_at >= self.snapshot_every
            && !self
                .snapshotting
                .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            // The value is immutable: write it while transactions go on.
            log.snapshot_at = log.len;
            let (dir, db, offset, busy) = (
                self.dir.clone(),
                report.db_after.clone(),
                log.len,
                self.snapshotting.clone(),
            );
            let name = self.name.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = snapshot::write(&dir, &db, offset) {
                    tracing::warn!(db = name, "cannot write a snapshot: {e:#}");
                }
                busy.store(false, std::sync::atomic::Ordering::Release);
            });
        }
        Ok(report)
    }

    /// Writes a snapshot of the current value now (the next restart replays only what
    /// follows it).
    pub async fn snapshot(&self) -> Result<(), IonError> {
        let mut log = self.log.lock().await;
        let db = self.db();
        snapshot::write(&self.dir, &db, log.len).map_err(|e| {
            IonError::new(
                Category::Unavailable,
                format!("database {}: {e:#}", self.name),
            )
        })?;
        log.snapshot_at = log.len;
        Ok(())
    }
}

/// The named databases of a node, under one directory.
pub struct Databases {
    dir: PathBuf,
    open: Mutex<HashMap<String, Arc<Connection>>>,
    snapshot_every: u64,
    observer: Arc<dyn Observer>,
}

fn check_name(name: &str) -> Result<(), IonError> {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(())
    } else {
        Err(IonError::new(
            Category::Incorrect,
            format!("database name {name:?}: expected letters, digits, '-', '_' or '.'"),
        ))
    }
}

impl Databases {
    /// The databases under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Databases {
        Databases {
            dir: dir.into(),
            open: Mutex::new(HashMap::new()),
            snapshot_every: SNAPSHOT_EVERY_BYTES,
            observer: Arc::new(NoObserver),
        }
    }

    /// The same, writing a snapshot after every `bytes` of log.
    pub fn with_snapshot_every(mut self, bytes: u64) -> Databases {
        self.snapshot_every = bytes;
        self
    }

    /// The same, reporting to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Databases {
        self.observer = observer;
        self
    }

    /// Creates database `name` (nothing happens when it exists).
    pub fn create(&self, name: &str) -> Result<(), IonError> {
        check_name(name)?;
        let path = log::log_path(&self.dir, name);
        std::fs::create_dir_all(path.parent().expect("has a parent"))
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map(|_| ())
            })
            .map_err(|e| {
                IonError::new(
                    Category::Unavailable,
                    format!("creating database {name} in {}: {e}", self.dir.display()),
                )
            })
    }

    /// The names of every database.
    pub fn list(&self) -> Result<Vec<String>, IonError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(IonError::new(
                    Category::Unavailable,
                    format!("{}: {e}", self.dir.display()),
                ));
            }
        };
        for entry in entries.flatten() {
            if entry.path().join("log").is_file() {
                out.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Deletes database `name` (nothing happens when it does not exist).
    pub fn delete(&self, name: &str) -> Result<(), IonError> {
        check_name(name)?;
        self.open.lock().expect("not poisoned").remove(name);
        match std::fs::remove_dir_all(self.dir.join(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(IonError::new(
                Category::Unavailable,
                format!("deleting database {name}: {e}"),
            )),
        }
    }

    /// A connection to database `name`, opening (and replaying) it on first use.
    pub fn connect(&self, name: &str) -> Result<Arc<Connection>, IonError> {
        check_name(name)?;
        let mut open = self.open.lock().expect("not poisoned");
        if let Some(c) = open.get(name) {
            return Ok(c.clone());
        }
        let path = log::log_path(&self.dir, name);
        if !path.is_file() {
            return Err(IonError::new(
                Category::NotFound,
                format!("no database named {name:?} (create it with `host db create {name}`)"),
            ));
        }
        let (log, replayed) = log::Log::open(&path)
            .map_err(|e| IonError::new(Category::Unavailable, format!("database {name}: {e:#}")))?;
        tracing::info!(
            db = name,
            transactions = replayed.transactions,
            datoms = replayed.db.count(),
            "database opened"
        );
        let conn = Arc::new(Connection {
            name: name.to_owned(),
            dir: self.dir.join(name),
            current: ArcSwap::from_pointee(replayed.db),
            log: tokio::sync::Mutex::new(log),
            snapshot_every: self.snapshot_every,
            snapshotting: Arc::default(),
            observer: self.observer.clone(),
        });
        open.insert(name.to_owned(), conn.clone());
        Ok(conn)
    }
}
