//! The named databases of one storage, as a node sees them: create, list, delete, and one
//! open connection per name, shared by every caller in the process.
//!
//! Opening replays a log, which can take seconds; it happens once per name, outside any
//! lock that other names need (a cell per name), so a cold open never delays calls to
//! databases already open. Notifications of other nodes' commits (from storage, or a
//! peer through the node's admin API) reach the open connection they name.

use super::connection::Connection;
use super::storage::{FileStorage, Storage, StorageError};
use super::{NoObserver, Observer};
use ion_anomaly::{Category, IonError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::OnceCell;

/// Log bytes written after the last index root that make the next indexing worth doing
/// (`ION_DB_INDEX_EVERY` sets it: a size such as `16MiB`).
pub const SNAPSHOT_EVERY_BYTES: u64 = 64 << 20;

/// The indexing trigger: `ION_DB_INDEX_EVERY`, or the default. A value that is not a
/// size is reported and the default used.
fn index_every() -> u64 {
    match std::env::var("ION_DB_INDEX_EVERY") {
        Ok(text) => super::segment::parse_bytes(&text).unwrap_or_else(|| {
            tracing::error!(
                value = text,
                "ION_DB_INDEX_EVERY: expected a size such as 67108864, 64MiB or 1GiB; using 64MiB"
            );
            SNAPSHOT_EVERY_BYTES
        }),
        Err(_) => SNAPSHOT_EVERY_BYTES,
    }
}

type Open = Mutex<HashMap<String, Arc<OnceCell<Arc<Connection>>>>>;

/// The databases of one storage.
pub struct Databases {
    storage: Arc<dyn Storage>,
    open: Arc<Open>,
    snapshot_every: u64,
    observer: Arc<dyn Observer>,
    notified: bool,
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
    /// The databases in `storage`.
    pub fn new(storage: Arc<dyn Storage>) -> Databases {
        let open: Arc<Open> = Arc::default();
        let weak: Weak<Open> = Arc::downgrade(&open);
        let notified = storage.subscribe(Arc::new(move |id: &str, t: i64| {
            if let Some(open) = weak.upgrade() {
                for conn in connections(&open) {
                    if conn.storage_id() == id {
                        conn.wake(t);
                    }
                }
            }
        }));
        Databases {
            storage,
            open,
            snapshot_every: index_every(),
            observer: Arc::new(NoObserver),
            notified,
        }
    }

    /// The databases in folders under `dir` (`file:` storage).
    pub fn file(dir: impl Into<std::path::PathBuf>) -> Databases {
        Databases::new(Arc::new(FileStorage::new(dir)))
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

    /// The storage, as its URI shows it.
    pub fn describe(&self) -> &str {
        self.storage.describe()
    }

    /// Whether storage itself tells other nodes of this node's commits; when not, the
    /// node must (see `Observer::committed`).
    pub fn storage_notifies(&self) -> bool {
        self.notified
    }

    fn error(&self, e: StorageError) -> IonError {
        match e {
            StorageError::NotFound { name, .. } => IonError::new(
                Category::NotFound,
                format!(
                    "no database named {name:?} in {} (create it with `host db create {name}`)",
                    self.describe()
                ),
            ),
            e => e.into(),
        }
    }

    /// Creates database `name` (nothing happens when it exists).
    pub async fn create(&self, name: &str) -> Result<(), IonError> {
        check_name(name)?;
        self.storage.create(name).await.map_err(|e| self.error(e))
    }

    /// The names of every database.
    pub async fn list(&self) -> Result<Vec<String>, IonError> {
        self.storage.list().await.map_err(|e| self.error(e))
    }

    /// Deletes database `name` (nothing happens when it does not exist).
    pub async fn delete(&self, name: &str) -> Result<(), IonError> {
        check_name(name)?;
        self.open.lock().expect("not poisoned").remove(name);
        self.storage.delete(name).await.map_err(|e| self.error(e))
    }

    /// A connection to database `name`, opened (its log replayed) on first use.
    pub async fn connect(&self, name: &str) -> Result<Arc<Connection>, IonError> {
        check_name(name)?;
        let cell = self
            .open
            .lock()
            .expect("not poisoned")
            .entry(name.to_owned())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let db = self.storage.open(name).await.map_err(|e| self.error(e))?;
            Connection::open(
                name,
                db,
                self.describe(),
                self.storage.poll_interval(),
                self.observer.clone(),
                self.snapshot_every,
            )
            .await
        })
        .await
        .cloned()
    }

    /// Deletes the index segments of database `name` that no kept root names, once the
    /// `grace` period has passed (see `gc`); with `dry_run`, only reports what would go.
    pub async fn gc(
        &self,
        name: &str,
        grace: std::time::Duration,
        dry_run: bool,
    ) -> Result<super::gc::GcReport, IonError> {
        check_name(name)?;
        let db = self.storage.open(name).await.map_err(|e| self.error(e))?;
        super::gc::collect(&*db, self.describe(), grace, dry_run)
            .await
            .map_err(|e| self.error(e))
    }

    /// Whether database `name` is being opened right now (its cell exists, still empty).
    #[cfg(test)]
    pub(crate) fn is_opening(&self, name: &str) -> bool {
        let open = self.open.lock().expect("not poisoned");
        open.get(name).is_some_and(|cell| !cell.initialized())
    }

    /// Another node committed database `name` up to `t`: its connection here, if open,
    /// reads the records soon.
    pub fn notify(&self, name: &str, t: i64) {
        let cell = self.open.lock().expect("not poisoned").get(name).cloned();
        if let Some(conn) = cell.as_ref().and_then(|c| c.get()) {
            conn.wake(t);
        }
    }
}

/// The connections open now.
fn connections(open: &Open) -> Vec<Arc<Connection>> {
    open.lock()
        .expect("not poisoned")
        .values()
        .filter_map(|c| c.get().cloned())
        .collect()
}
