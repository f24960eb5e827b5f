//! A connection's committer: the loop that takes what transactions queued, appends it in
//! batches (group commit) and follows the log, as a task on network storage or as a
//! thread of its own on local storage (`file:`, whose appends are blocking I/O).
//!
//! Owns only the loop and its inbox; what a commit or a catch-up does is the connection's.

use super::Connection;
use super::commit::Commit;
use crate::storage::InlineAppend;
use ion_anomaly::IonError;
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Where a connection's messages to its committer go: a task's channel, or a thread's.
#[derive(Clone)]
pub(super) enum Inbox {
    Task(mpsc::UnboundedSender<Msg>),
    Thread(std::sync::mpsc::Sender<Msg>),
}

impl Inbox {
    /// Queues `m`; `Err` when the committer has ended.
    pub(super) fn send(&self, m: Msg) -> Result<(), ()> {
        match self {
            Inbox::Task(tx) => tx.send(m).map_err(|_| ()),
            Inbox::Thread(tx) => tx.send(m).map_err(|_| ()),
        }
    }
}

/// The committer's end of its inbox.
pub(super) enum Outbox {
    Task(mpsc::UnboundedReceiver<Msg>),
    Thread(std::sync::mpsc::Receiver<Msg>),
}

pub(super) enum Msg {
    Commit(Box<Commit>),
    CatchUp(Option<oneshot::Sender<Result<(), IonError>>>),
    /// Indexing made this value (at an earlier basis, every datom in its base).
    Rebase(Box<crate::Db>),
}

/// The committer task: appends what transactions queued, in batches, and follows the
/// log. Ends when the connection is dropped.
pub(super) async fn committer(
    conn: Weak<Connection>,
    mut inbox: mpsc::UnboundedReceiver<Msg>,
    poll: Duration,
) {
    loop {
        let first = match tokio::time::timeout(poll, inbox.recv()).await {
            Ok(Some(m)) => Some(m),
            Ok(None) => return,
            Err(_) => None,
        };
        let Some(conn) = conn.upgrade() else { return };
        let mut work = Work::default();
        first.into_iter().for_each(|m| work.take(m));
        while let Ok(m) = inbox.try_recv() {
            work.take(m);
        }
        work.run(&conn, None).await;
    }
}

/// The committer as a thread of its own, for local storage: the same loop, appending
/// inline. It waits for messages without tokio's timers and enters the runtime (through
/// `handle`) only to do a batch's work, so it never outlives the runtime by a panic.
pub(super) fn commit_thread(
    conn: Weak<Connection>,
    inbox: std::sync::mpsc::Receiver<Msg>,
    poll: Duration,
    handle: tokio::runtime::Handle,
) {
    use std::sync::mpsc::RecvTimeoutError;
    loop {
        let first = match inbox.recv_timeout(poll) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => None,
        };
        let Some(conn) = conn.upgrade() else { return };
        let mut work = Work::default();
        first.into_iter().for_each(|m| work.take(m));
        while let Ok(m) = inbox.try_recv() {
            work.take(m);
        }
        handle.block_on(work.run(&conn, conn.storage.inline()));
    }
}

/// What one turn of the committer does: the commits that queued, and a catch-up when a
/// reader asked, a peer said so, or nothing came within the poll interval.
#[derive(Default)]
struct Work {
    batch: Vec<Commit>,
    waiting: Vec<oneshot::Sender<Result<(), IonError>>>,
    catch_up: bool,
    messages: usize,
    rebase: Option<Box<crate::Db>>,
}

impl Work {
    fn take(&mut self, m: Msg) {
        self.messages += 1;
        match m {
            Msg::Commit(commit) => self.batch.push(*commit),
            Msg::CatchUp(reply) => {
                self.catch_up = true;
                self.waiting.extend(reply);
            }
            Msg::Rebase(db) => self.rebase = Some(db),
        }
    }

    async fn run(self, conn: &Connection, inline: Option<&dyn InlineAppend>) {
        // No message within the poll interval: look for other nodes' records.
        let catch_up = self.catch_up || self.messages == 0;
        if !self.batch.is_empty() {
            conn.commit(self.batch, inline).await;
        }
        if let Some(indexed) = self.rebase {
            conn.rebase(&indexed);
        }
        if catch_up {
            conn.look_for_root();
            let result = conn.catch_up().await.map(|_| ());
            if let Err(e) = &result
                && self.waiting.is_empty()
            {
                tracing::debug!(db = conn.name, "polling the log failed: {e}");
            }
            for w in self.waiting {
                let _ = w.send(result.clone());
            }
        }
    }
}
