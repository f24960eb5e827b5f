//! Where databases live: one interface, three backends, chosen by a storage URI.
//!
//! - `file:DIR` — the embedded default: one folder per database under DIR, its log one
//!   append-only file, locked only while a node appends (so several processes on one
//!   machine may share it).
//! - `postgres://…` — PostgreSQL: a log table whose primary key `(db, t)` makes a commit
//!   a conditional append, and `LISTEN/NOTIFY` to tell other nodes.
//! - `s3://BUCKET/PREFIX` — one object per log record, written with `If-None-Match: *`.
//!
//! What goes to storage is each database's transaction log, one record per transaction,
//! named by its `t`, written once and never changed; index segments (sorted runs of
//! datoms named by their hash, immutable too); and in the snapshot slot, the index root
//! that lists a basis `t`'s segments (or, written by older versions, a whole value). The
//! root is the only thing ever replaced. The log is the truth: segments and roots only
//! save replaying the records before them.
//!
//! Owns the storage formats and the I/O; knows nothing of transactions, datoms or ion
//! functions (records are opaque bytes with a `t`). Every failure is a `StorageError`
//! naming the storage.

pub mod file;
pub mod postgres;
pub mod s3;
mod uri;

pub use file::FileStorage;
pub use postgres::PostgresStorage;
pub use s3::S3Storage;
pub use uri::{StorageUri, UriError, UriProblem};

use crate::segment::{Key, SegmentSource};
use async_trait::async_trait;
use std::sync::Arc;

/// One transaction's log record: its `t` and its bytes (the record encoding is the
/// connection's business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The transaction's basis `t`.
    pub t: i64,
    /// The encoded transaction.
    pub bytes: Vec<u8>,
}

/// Where a log read resumes: after record `t`. The file backend also keeps the byte
/// offset just past it, so a read never rescans what it has read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The last record read or written.
    pub t: i64,
    /// The file backend's offset just past that record (0 elsewhere).
    pub offset: u64,
}

/// A snapshot: a database value's bytes as of `cursor.t`, and where the log after it
/// starts.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The log position the snapshot covers.
    pub cursor: Cursor,
    /// The encoded value.
    pub bytes: Vec<u8>,
}

/// An index segment in storage, as garbage collection sees it.
#[derive(Debug, Clone)]
pub struct StoredSegment {
    /// Its key.
    pub key: Key,
    /// When it was written.
    pub written: std::time::SystemTime,
    /// Its size in storage.
    pub bytes: u64,
}

/// What a conditional append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Every record is in storage; the log now ends at this cursor.
    All(Cursor),
    /// The first `n` records are in storage (up to `cursor`), and the record after them
    /// was already taken by another writer. `n` is 0 for a batch written all or nothing.
    Conflict {
        /// Records of the batch that were written.
        written: usize,
        /// The log's end after them.
        cursor: Cursor,
    },
}

/// Why storage could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The storage could not be reached or refused; retrying later may work.
    #[error("{storage}: {message}")]
    Unavailable {
        /// The storage, as its URI shows it (no password).
        storage: String,
        /// What failed.
        message: String,
    },
    /// What storage holds is not what this version wrote: a damaged or foreign record.
    #[error("{storage}: {message}")]
    Corrupt {
        /// The storage.
        storage: String,
        /// What is wrong, and where.
        message: String,
    },
    /// The database does not exist (or was deleted while open).
    #[error("no database named {name:?} in {storage}")]
    NotFound {
        /// The storage.
        storage: String,
        /// The database.
        name: String,
    },
}

impl StorageError {
    /// An `Unavailable` error for `storage`.
    pub fn unavailable(storage: &str, message: impl std::fmt::Display) -> StorageError {
        StorageError::Unavailable {
            storage: storage.to_owned(),
            message: message.to_string(),
        }
    }

    /// A `Corrupt` error for `storage`.
    pub fn corrupt(storage: &str, message: impl std::fmt::Display) -> StorageError {
        StorageError::Corrupt {
            storage: storage.to_owned(),
            message: message.to_string(),
        }
    }
}

impl From<StorageError> for ion_anomaly::IonError {
    fn from(e: StorageError) -> Self {
        use ion_anomaly::{Category, IonError};
        let category = match &e {
            StorageError::Unavailable { .. } => Category::Unavailable,
            StorageError::Corrupt { .. } => Category::Fault,
            StorageError::NotFound { .. } => Category::NotFound,
        };
        IonError::new(category, e.to_string())
    }
}

/// Called with a database's storage id and a `t` when storage tells of a commit.
pub type Wake = Arc<dyn Fn(&str, i64) + Send + Sync>;

/// A place that holds named databases.
#[async_trait]
pub trait Storage: Send + Sync {
    /// The storage as its URI names it, without secrets: what errors show.
    fn describe(&self) -> &str;

    /// Creates database `name`; nothing happens when it exists.
    async fn create(&self, name: &str) -> Result<(), StorageError>;

    /// The names of every database, sorted.
    async fn list(&self) -> Result<Vec<String>, StorageError>;

    /// Deletes database `name` and everything stored for it; nothing happens when it does
    /// not exist.
    async fn delete(&self, name: &str) -> Result<(), StorageError>;

    /// Database `name`'s log and snapshots (`NotFound` when there is no such database).
    async fn open(&self, name: &str) -> Result<Arc<dyn DbStorage>, StorageError>;

    /// Starts delivering this storage's own commit notifications to `wake`, if it has
    /// any (PostgreSQL's `NOTIFY`). Returns whether it does: when not, the node tells
    /// other nodes itself, and every node also polls.
    fn subscribe(&self, wake: Wake) -> bool {
        let _ = wake;
        false
    }

    /// How often an open database looks for records other nodes wrote when no
    /// notification came: the fallback that bounds how stale a node can be.
    fn poll_interval(&self) -> std::time::Duration;
}

/// One database's log and snapshots.
#[async_trait]
pub trait DbStorage: Send + Sync {
    /// An id unique to this database's life (a database deleted and created again gets a
    /// new one): what notifications name.
    fn id(&self) -> &str;

    /// Appends `records` (consecutive `t`s, the first `after.t + 1`) if and only if no
    /// record follows `after` yet: the one serial order of transactions. Returns once
    /// they are durable.
    async fn append(&self, after: Cursor, records: &[Record]) -> Result<Appended, StorageError>;

    /// Up to `limit` records after `after`, in order, and the cursor after the last.
    async fn read(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<Record>, Cursor), StorageError>;

    /// The record at `t`, if it was written, and the cursor just past it (`near` is a
    /// cursor before it): how a writer whose append failed midway learns whether it
    /// committed.
    async fn record_at(
        &self,
        t: i64,
        near: Cursor,
    ) -> Result<Option<(Record, Cursor)>, StorageError>;

    /// The newest snapshot, if any.
    async fn load_snapshot(&self) -> Result<Option<Snapshot>, StorageError>;

    /// Stores `snapshot` as the newest, unless a newer one is there already.
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StorageError>;

    /// Stores index segment `key` (`bytes` hash to it), durably; nothing happens when it
    /// is there already.
    async fn put_segment(&self, key: Key, bytes: Vec<u8>) -> Result<(), StorageError>;

    /// What reads this database's index segments (blocking reads, see `segment`).
    fn segments(&self) -> Arc<dyn SegmentSource>;

    /// Every index root (or snapshot) kept, newest first: the newest two.
    async fn roots(&self) -> Result<Vec<Snapshot>, StorageError>;

    /// Every index segment stored for this database.
    async fn list_segments(&self) -> Result<Vec<StoredSegment>, StorageError>;

    /// Deletes index segments `keys` (one already gone is no error).
    async fn delete_segments(&self, keys: Vec<Key>) -> Result<(), StorageError>;

    /// Deletes what writes of segments left unfinished (a crash mid-write) longer than
    /// `grace` ago. Nothing to do where a write is all or nothing.
    async fn sweep_unfinished(&self, grace: std::time::Duration) -> Result<usize, StorageError> {
        let _ = grace;
        Ok(0)
    }

    /// The same appends as blocking calls, for storage whose appends are local blocking
    /// I/O (`file:`): the connection then commits on a thread of its own, and a commit
    /// costs no hop to tokio's blocking pool and back. `None` (the default) for storage
    /// reached over the network, whose connection commits on a task.
    fn inline(&self) -> Option<&dyn InlineAppend> {
        None
    }
}

/// [`DbStorage::append`] as a blocking call, run on a thread that serves no requests.
pub trait InlineAppend: Send + Sync {
    /// What `append` does, on the calling thread.
    fn append(&self, after: Cursor, records: &[Record]) -> Result<Appended, StorageError>;
}
