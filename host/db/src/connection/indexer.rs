//! A connection's indexing: when enough log has gathered (`ION_DB_INDEX_EVERY`, this
//! node's commits and other nodes' alike), the durable value's tail is folded into
//! segments under a new index root in the background, or the newer root another node
//! wrote is adopted; at least once a minute a node also looks for a newer root, so none
//! reads through a replaced root for long (garbage collection counts on it, see `gc`).
//! Either way the committer then rebases the durable head on it. Part of `Connection`.

use super::committer::Msg;
use super::{Connection, Durable, blocking, named};
use crate::storage::{DbStorage, Snapshot, StorageError};
use crate::{Db, snapshot};
use ion_anomaly::{Category, IonError};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often a node looks for an index root newer than its own.
pub(super) const ADOPT_EVERY: Duration = Duration::from_secs(60);

impl Connection {
    /// Indexes the current value now: its tail goes into segments under a new root, so
    /// the next open reads the root and replays only what follows it.
    pub async fn snapshot(&self) -> Result<(), IonError> {
        let indexed =
            save_index(self.storage.clone(), &self.name, self.durable.load_full()).await?;
        let _ = self.committer.send(Msg::Rebase(Box::new(indexed)));
        Ok(())
    }

    /// Makes the durable head stand on `indexed`'s base (the same datoms, a shorter
    /// tail), if it is newer than the head's own; the committer calls it, so no commit
    /// installs a value meanwhile.
    pub(super) fn rebase(&self, indexed: &Db) {
        let durable = self.durable.load_full();
        if durable.db.indexed_t() >= indexed.basis_t() || durable.db.basis_t() < indexed.basis_t() {
            return;
        }
        match durable.db.rebased(indexed) {
            Ok(db) => {
                self.durable.store(Arc::new(Durable {
                    db,
                    cursor: durable.cursor,
                }));
                // Transactions in flight were built on the old value: they run again.
                self.new_generation();
            }
            Err(e) => tracing::warn!(db = self.name, "cannot move to the new index root: {e}"),
        }
    }

    /// Counts log bytes (this node's commits, or other nodes' it read) toward the next
    /// indexing, and indexes in the background when enough have gathered: or adopts the
    /// root another node wrote meanwhile.
    pub(super) fn note_log(&self, bytes: u64) {
        let total = self.log_since_snapshot.fetch_add(bytes, Ordering::AcqRel) + bytes;
        if total < self.snapshot_every || self.snapshotting.swap(true, Ordering::AcqRel) {
            return;
        }
        self.log_since_snapshot.store(0, Ordering::Release);
        let durable = self.durable.load_full();
        let (storage, busy, name) = (
            self.storage.clone(),
            self.snapshotting.clone(),
            self.name.clone(),
        );
        let inbox = self.committer.clone();
        self.last_root_look
            .store(crate::now_ms(), Ordering::Release);
        tokio::spawn(async move {
            match index_or_adopt(storage, &name, durable).await {
                Ok(indexed) => {
                    let _ = inbox.send(Msg::Rebase(Box::new(indexed)));
                }
                Err(e) => tracing::warn!(db = name, "cannot index: {e}"),
            }
            busy.store(false, Ordering::Release);
        });
    }

    /// Looks for an index root newer than the durable head's own, in the background,
    /// when `ADOPT_EVERY` has passed since the last look (or indexing).
    pub(super) fn look_for_root(&self) {
        let now = crate::now_ms();
        let last = self.last_root_look.load(Ordering::Acquire);
        if now - last < ADOPT_EVERY.as_millis() as i64
            || self.snapshotting.swap(true, Ordering::AcqRel)
        {
            return;
        }
        self.last_root_look.store(now, Ordering::Release);
        let durable = self.durable.load_full();
        let (storage, busy, name, inbox) = (
            self.storage.clone(),
            self.snapshotting.clone(),
            self.name.clone(),
            self.committer.clone(),
        );
        tokio::spawn(async move {
            match newer_root(&storage, &name, &durable).await {
                Ok(Some(db)) => {
                    let _ = inbox.send(Msg::Rebase(Box::new(db)));
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(db = name, "cannot look for a newer index root: {e}"),
            }
            busy.store(false, Ordering::Release);
        });
    }
}

/// The value of the newest index root in storage, if it is newer than `durable`'s own
/// base and not past its basis (a root this node can stand on).
async fn newer_root(
    storage: &Arc<dyn DbStorage>,
    name: &str,
    durable: &Durable,
) -> Result<Option<Db>, IonError> {
    let (ours, t) = (durable.db.indexed_t(), durable.db.basis_t());
    let Some(root) = storage.load_snapshot().await.map_err(|e| named(name, e))? else {
        return Ok(None);
    };
    if root.cursor.t <= ours || root.cursor.t > t {
        return Ok(None);
    }
    let source = storage.segments();
    match blocking(move || snapshot::decode(&root.bytes, source)).await {
        Ok(db) if db.tail_datoms() == 0 && db.basis_t() > ours => Ok(Some(db)),
        Ok(_) => Ok(None),
        Err(e) => {
            tracing::warn!(db = name, "ignoring the newest index root: {e:#}");
            Ok(None)
        }
    }
}

/// A value with `durable`'s datoms up to an index root newer than its own, with an empty
/// tail: the root another node wrote, when storage holds one `durable` has reached, else
/// one indexed here (see `save_index`).
pub(super) async fn index_or_adopt(
    storage: Arc<dyn DbStorage>,
    name: &str,
    durable: Arc<Durable>,
) -> Result<Db, IonError> {
    if let Some(db) = newer_root(&storage, name, &durable).await? {
        return Ok(db);
    }
    save_index(storage, name, durable).await
}

/// Indexes `durable`'s value: folds its tail into segments (built on a blocking thread,
/// written as they come, several at once), then saves the root that lists them as
/// database `name`'s newest, once every segment is durable. Returns the indexed value.
async fn save_index(
    storage: Arc<dyn DbStorage>,
    name: &str,
    durable: Arc<Durable>,
) -> Result<Db, IonError> {
    use futures_util::{StreamExt as _, TryStreamExt as _};
    let cursor = durable.cursor;
    let source = storage.segments();
    let (tx, mut rx) = mpsc::channel::<(crate::segment::Key, Vec<u8>)>(16);
    let describe = source.describe().to_owned();
    let build = tokio::task::spawn_blocking(move || {
        crate::indexing::index(
            &durable.db,
            source,
            crate::indexing::DEFAULT_SIZE,
            &mut |k, b| {
                tx.blocking_send((k, b)).map_err(|_| {
                    StorageError::unavailable(
                        &describe,
                        "indexing stopped: writing a segment failed",
                    )
                })
            },
        )
    });
    let writes = futures_util::stream::poll_fn(|cx| rx.poll_recv(cx))
        .map(|(key, bytes)| storage.put_segment(key, bytes))
        .buffer_unordered(8)
        .try_for_each(|()| std::future::ready(Ok(())));
    let (built, written) = tokio::join!(build, writes);
    written.map_err(|e| named(name, e))?;
    let indexed = built
        .map_err(|e| {
            IonError::new(
                Category::Fault,
                format!("database {name}: indexing failed: {e}"),
            )
        })?
        .map_err(|e| named(name, e))?;
    let bytes = crate::root::encode(&indexed).ok_or_else(|| {
        IonError::new(
            Category::Fault,
            format!("database {name}: indexing left a segment in memory"),
        )
    })?;
    storage
        .save_snapshot(Snapshot { cursor, bytes })
        .await
        .map_err(|e| named(name, e))?;
    Ok(indexed)
}
