//! A connection to one database: the value readers see, commits in the one serial order,
//! and following the records other nodes write.
//!
//! - **Readers see only what is durable.** `db()` is the durable head: every transaction
//!   in it is in storage.
//! - **Commits.** A transaction runs against the *speculative* head (the durable head plus
//!   this node's transactions on their way to storage), so the next one can run while the
//!   last is being synced. Its record goes to the connection's committer, one task that
//!   appends whatever has queued in one conditional append (one sync for many: group
//!   commit) and answers each transaction once its record is durable. An append that
//!   finds its `t` taken by another node is a conflict: the committer catches up, the
//!   speculative head starts again from the new durable head (a new generation), and each
//!   transaction of the lost batch runs again there, so its functions see the true
//!   db-before.
//! - **Where the committer runs.** On storage reached over the network it is a task. On
//!   local storage (`file:`, whose appends are blocking I/O) it is a thread of its own that
//!   appends inline: a commit then costs two hops between threads (to the committer and
//!   back), not four through tokio's blocking pool, and no request thread ever waits on
//!   an fsync.
//! - **Following.** The committer also reads the records other nodes append: when storage
//!   or a peer says there are some (`wake`), when a reader asks (`sync`), and every poll
//!   interval in case a notification was lost.
//!
//! Owns no I/O of its own: all of it goes through `storage::DbStorage`.

use super::storage::{Cursor, DbStorage, Record, StorageError};
use super::{Db, Functions, Observer, TxReport, now_ms, record, snapshot, transact};
mod commit;
mod committer;
mod indexer;

use arc_swap::ArcSwap;
use commit::Commit;
use committer::{Inbox, Msg, Outbox, commit_thread, committer};
use ion_anomaly::{Category, IonError};
use ion_edn::Edn;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// How long a transaction may wait for its turn (and for retries after conflicts) before
/// it gives up as `busy`.
const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// How long a writer whose append failed midway keeps asking storage whether its records
/// were written, before it reports that it could not tell.
const RESOLVE_WAIT: Duration = Duration::from_secs(20);

/// Records read from storage per request while catching up.
const READ_BATCH: usize = 1024;

/// A connection to one named database.
pub struct Connection {
    name: String,
    storage: Arc<dyn DbStorage>,
    describe: String,
    durable: ArcSwap<Durable>,
    head: tokio::sync::Mutex<Head>,
    generation: AtomicU64,
    committer: Inbox,
    basis: watch::Sender<i64>,
    observer: Arc<dyn Observer>,
    snapshot_every: u64,
    snapshotting: Arc<AtomicBool>,
    log_since_snapshot: AtomicU64,
    /// When this node last indexed or looked for a newer index root (ms).
    last_root_look: std::sync::atomic::AtomicI64,
}

/// The durable head: a value and the log position just past its last record.
struct Durable {
    db: Db,
    cursor: Cursor,
}

/// The speculative head, and the generation it was built in.
struct Head {
    db: Db,
    generation: u64,
}

enum Outcome {
    Committed,
    Retry,
    Failed(IonError),
}

impl Connection {
    /// Opens database `name` on `storage`: loads its snapshot and replays the log after
    /// it, then starts its committer.
    pub(crate) async fn open(
        name: &str,
        storage: Arc<dyn DbStorage>,
        describe: &str,
        poll: Duration,
        observer: Arc<dyn Observer>,
        snapshot_every: u64,
    ) -> Result<Arc<Connection>, IonError> {
        let fail = |e: anyhow::Error| {
            IonError::new(
                Category::Fault,
                format!("database {name} in {describe}: {e:#}"),
            )
        };
        let (mut db, mut cursor) = match storage.load_snapshot().await? {
            Some(s) => {
                let cursor = s.cursor;
                let source = storage.segments();
                match blocking(move || snapshot::decode(&s.bytes, source)).await {
                    Ok(db) => (db, cursor),
                    Err(e) => {
                        tracing::warn!(
                            db = name,
                            "ignoring the snapshot ({e:#}); replaying the whole log"
                        );
                        (Db::empty(), Cursor::default())
                    }
                }
            }
            None => (Db::empty(), Cursor::default()),
        };
        let (mut transactions, mut replayed) = (0, 0);
        loop {
            let (records, next) = storage.read(cursor, READ_BATCH).await?;
            if records.is_empty() {
                break;
            }
            transactions += records.len();
            replayed += records.iter().map(|r| r.bytes.len() as u64).sum::<u64>();
            db = blocking(move || {
                for r in &records {
                    record::apply(&mut db, &r.bytes)
                        .map_err(|e| e.context(format!("the record of t {}", r.t)))?;
                }
                Ok(db)
            })
            .await
            .map_err(fail)?;
            cursor = next;
        }
        tracing::info!(
            db = name,
            transactions,
            t = db.basis_t(),
            datoms = db.count(),
            "database opened"
        );
        let (inbox, outbox) = if storage.inline().is_some() {
            let (tx, rx) = std::sync::mpsc::channel();
            (Inbox::Thread(tx), Outbox::Thread(rx))
        } else {
            let (tx, rx) = mpsc::unbounded_channel();
            (Inbox::Task(tx), Outbox::Task(rx))
        };
        let conn = Arc::new(Connection {
            name: name.to_owned(),
            storage,
            describe: describe.to_owned(),
            head: tokio::sync::Mutex::new(Head {
                db: db.clone(),
                generation: 0,
            }),
            basis: watch::channel(db.basis_t()).0,
            durable: ArcSwap::from_pointee(Durable { db, cursor }),
            generation: AtomicU64::new(0),
            committer: inbox,
            observer,
            snapshot_every,
            snapshotting: Arc::default(),
            // A tail replayed at open counts toward the next indexing.
            log_since_snapshot: AtomicU64::new(replayed),
            last_root_look: std::sync::atomic::AtomicI64::new(super::now_ms()),
        });
        let weak = Arc::downgrade(&conn);
        match outbox {
            Outbox::Task(rx) => {
                tokio::spawn(committer(weak, rx, poll));
            }
            Outbox::Thread(rx) => {
                let handle = tokio::runtime::Handle::current();
                std::thread::Builder::new()
                    .name(format!("ion-db-commit-{name}"))
                    .spawn(move || commit_thread(weak, rx, poll, handle))
                    .map_err(|e| fail(anyhow::anyhow!("cannot start its commit thread: {e}")))?;
            }
        }
        Ok(conn)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The id storage gives this database (what notifications name).
    pub fn storage_id(&self) -> &str {
        self.storage.id()
    }

    /// The current database value: every transaction in it is durable in storage.
    pub fn db(&self) -> Db {
        self.durable.load().db.clone()
    }

    /// Commits `tx_data`: returns once its record is durable in storage, in its place in
    /// the one serial order. A failed transaction changes nothing.
    pub async fn transact(
        &self,
        tx_data: &Edn<'_>,
        fns: &dyn Functions,
    ) -> Result<TxReport, IonError> {
        let started = Instant::now();
        let report = self.transact_unmeasured(tx_data, fns, started).await;
        self.observer
            .transaction(&self.name, report.is_ok(), started.elapsed());
        report
    }

    async fn transact_unmeasured(
        &self,
        tx_data: &Edn<'_>,
        fns: &dyn Functions,
        started: Instant,
    ) -> Result<TxReport, IonError> {
        let busy = || {
            IonError::new(
                Category::Busy,
                format!(
                    "database {}: the transaction could not commit within {} s (other transactions held it, or kept winning the race to storage)",
                    self.name,
                    COMMIT_WAIT.as_secs()
                ),
            )
        };
        loop {
            let left = COMMIT_WAIT.saturating_sub(started.elapsed());
            let mut head = tokio::time::timeout(left, self.head.lock())
                .await
                .map_err(|_| busy())?;
            let generation = self.generation.load(Ordering::Acquire);
            if head.generation != generation {
                *head = Head {
                    db: self.db(),
                    generation,
                };
            }
            let now = now_ms().max(head.db.last_instant());
            let report = transact::transact(&head.db, tx_data, fns, now).await?;
            let after = &report.db_after;
            let t = after.basis_t();
            let id = uuid::Uuid::new_v4().to_string();
            let bytes = record::encode(t, &id, after.next_n, after.last_instant(), &report.tx_data);
            let (reply, answer) = oneshot::channel();
            self.committer
                .send(Msg::Commit(Box::new(Commit {
                    record: Record { t, bytes },
                    db_after: after.clone(),
                    generation,
                    reply,
                })))
                .map_err(|_| self.closed())?;
            head.db = after.clone();
            drop(head);
            match answer.await.map_err(|_| self.closed())? {
                Outcome::Committed => return Ok(report),
                Outcome::Failed(e) => return Err(e),
                Outcome::Retry if started.elapsed() >= COMMIT_WAIT => return Err(busy()),
                Outcome::Retry => {}
            }
        }
    }

    fn closed(&self) -> IonError {
        IonError::new(
            Category::Unavailable,
            format!("database {}: its connection closed", self.name),
        )
    }

    /// A database value whose basis is at least `t` (read-your-writes across nodes): at
    /// once when this node has it, else after reading what other nodes wrote.
    pub async fn sync(&self, t: i64) -> Result<Db, IonError> {
        if self.durable.load().db.basis_t() < t {
            let (reply, done) = oneshot::channel();
            self.committer
                .send(Msg::CatchUp(Some(reply)))
                .map_err(|_| self.closed())?;
            done.await.map_err(|_| self.closed())??;
        }
        let db = self.db();
        if db.basis_t() < t {
            return Err(IonError::new(
                Category::Unavailable,
                format!(
                    "database {} is not yet at t {t}: its latest in {} is t {}",
                    self.name,
                    self.describe,
                    db.basis_t()
                ),
            ));
        }
        Ok(db)
    }

    /// The basis `t` of the durable head as it moves: to wait, without polling, until
    /// another node's commit has arrived here.
    pub fn basis(&self) -> watch::Receiver<i64> {
        self.basis.subscribe()
    }

    /// Tells the connection that storage holds records up to `t`: it reads them soon.
    pub fn wake(&self, t: i64) {
        if t > self.durable.load().db.basis_t() {
            let _ = self.committer.send(Msg::CatchUp(None));
        }
    }

    fn storage_error(&self, e: StorageError) -> IonError {
        named(&self.name, e)
    }

    /// Makes `db` at `cursor` the durable head, if it is newer; tells readers, and the
    /// observer when the records are this node's own.
    fn install(&self, db: Db, cursor: Cursor, own: bool) {
        let t = db.basis_t();
        if t <= self.durable.load().db.basis_t() {
            return;
        }
        self.durable.store(Arc::new(Durable { db, cursor }));
        self.basis.send_replace(t);
        if own {
            self.observer.committed(&self.name, t);
        }
    }

    /// Starts the speculative head again from the durable head.
    fn new_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Reads and applies every record after the durable head.
    async fn catch_up(&self) -> Result<usize, IonError> {
        let mut applied = 0;
        loop {
            let durable = self.durable.load_full();
            let (records, next) = self
                .storage
                .read(durable.cursor, READ_BATCH)
                .await
                .map_err(|e| self.storage_error(e))?;
            if records.is_empty() {
                return Ok(applied);
            }
            applied += records.len();
            self.note_log(records.iter().map(|r| r.bytes.len() as u64).sum());
            let mut db = durable.db.clone();
            let name = self.name.clone();
            let db = blocking(move || {
                for r in &records {
                    record::apply(&mut db, &r.bytes).map_err(|e| {
                        e.context(format!("database {name}: the record of t {}", r.t))
                    })?;
                }
                Ok(db)
            })
            .await
            .map_err(|e| IonError::new(Category::Fault, format!("{e:#}")))?;
            self.new_generation();
            self.install(db, next, false);
        }
    }
}

/// `e` as an anomaly that names database `name`.
fn named(name: &str, e: StorageError) -> IonError {
    let mut e = IonError::from(e);
    e.message = format!("database {name}: {}", e.message);
    e
}

/// Runs CPU-heavy `f` (decoding, replaying) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await?
}
