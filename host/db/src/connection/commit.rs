//! Appending one batch of commits in the serial order and answering each: a conflict
//! (another node took the `t`) re-runs the batch's transactions on the new durable head;
//! an append that fails midway is resolved by reading back what storage holds; committed
//! log bytes count toward the next snapshot. Part of `Connection`; no I/O of its own
//! beyond `DbStorage`.

use super::{Connection, Outcome, RESOLVE_WAIT};
use crate::storage::{Appended, Cursor, InlineAppend, Record, StorageError};
use crate::{Db, record};
use ion_anomaly::{Category, IonError};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

impl Connection {
    /// Appends the commits of one batch and answers each; through `inline` when the
    /// caller is the commit thread of local storage.
    pub(super) async fn commit(&self, batch: Vec<Commit>, inline: Option<&dyn InlineAppend>) {
        let generation = self.generation.load(Ordering::Acquire);
        let durable = self.durable.load_full();
        let mut expected = durable.cursor.t;
        let (mut valid, mut stale) = (Vec::new(), Vec::new());
        for c in batch {
            if c.generation == generation && c.record.t == expected + 1 {
                expected += 1;
                valid.push(c);
            } else {
                stale.push(c);
            }
        }
        for c in stale {
            let _ = c.reply.send(Outcome::Retry);
        }
        if valid.is_empty() {
            return;
        }
        let records: Vec<Record> = valid.iter().map(|c| c.record.clone()).collect();
        let appended = match inline {
            Some(storage) => storage.append(durable.cursor, &records),
            None => self.storage.append(durable.cursor, &records).await,
        };
        let (written, cursor, failure) = match appended {
            Ok(Appended::All(cursor)) => (valid.len(), cursor, None),
            Ok(Appended::Conflict { written, cursor }) => (written, cursor, None),
            Err(e) => {
                tracing::warn!(
                    db = self.name,
                    "an append failed ({e}); asking storage whether it was written"
                );
                match self.resolve(durable.cursor, &records).await {
                    Ok((written, cursor)) => (written, cursor, Some(e)),
                    Err(unknown) => {
                        self.new_generation();
                        for c in valid {
                            let _ = c.reply.send(Outcome::Failed(unknown.clone()));
                        }
                        return;
                    }
                }
            }
        };
        let mut valid = valid.into_iter();
        let committed: Vec<Commit> = valid.by_ref().take(written).collect();
        if let Some(last) = committed.last() {
            self.install(last.db_after.clone(), cursor, true);
            self.note_log(committed.iter().map(|c| c.record.bytes.len() as u64).sum());
        }
        for c in committed {
            let _ = c.reply.send(Outcome::Committed);
        }
        let rest: Vec<Commit> = valid.collect();
        if rest.is_empty() {
            return;
        }
        match failure {
            None => {
                // Another node took the next t: read what it wrote before these run again.
                if let Err(e) = self.catch_up().await {
                    tracing::warn!(db = self.name, "cannot catch up after a conflict: {e}");
                }
                self.new_generation();
                for c in rest {
                    let _ = c.reply.send(Outcome::Retry);
                }
            }
            Some(e) => {
                self.new_generation();
                let e = IonError::new(
                    Category::Unavailable,
                    format!(
                        "database {}: the transaction was not committed: {e}",
                        self.name
                    ),
                );
                for c in rest {
                    let _ = c.reply.send(Outcome::Failed(e.clone()));
                }
            }
        }
    }

    /// After an append that failed midway: how many of `records` storage holds (as ours,
    /// by their ids), asking until it answers or `RESOLVE_WAIT` passes.
    async fn resolve(
        &self,
        after: Cursor,
        records: &[Record],
    ) -> Result<(usize, Cursor), IonError> {
        let deadline = Instant::now() + RESOLVE_WAIT;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.written_prefix(after, records).await {
                Ok(found) => return Ok(found),
                Err(e) if Instant::now() >= deadline => {
                    return Err(IonError::new(
                        Category::Unavailable,
                        format!(
                            "database {}: storage failed during the commit and has not answered since, so whether the transaction committed is unknown: {e}",
                            self.name
                        ),
                    ));
                }
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    async fn written_prefix(
        &self,
        after: Cursor,
        records: &[Record],
    ) -> Result<(usize, Cursor), StorageError> {
        let mut cursor = after;
        for (i, r) in records.iter().enumerate() {
            match self.storage.record_at(r.t, cursor).await? {
                Some((found, next)) if record::id(&found.bytes) == record::id(&r.bytes) => {
                    cursor = next;
                }
                _ => return Ok((i, cursor)),
            }
        }
        Ok((records.len(), cursor))
    }
}

/// One queued commit.
pub(super) struct Commit {
    pub record: Record,
    pub db_after: Db,
    pub generation: u64,
    pub reply: oneshot::Sender<Outcome>,
}
