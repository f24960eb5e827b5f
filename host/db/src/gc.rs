//! Garbage collection of index segments: deleting the segments no kept index root names,
//! once no node can still be reading them.
//!
//! Storage keeps the newest two roots. A segment neither names was last named by an older
//! root, replaced no later than the older kept root was written; nodes move to a newer
//! root when they index or adopt one (every `ION_DB_INDEX_EVERY` of log, and at least
//! once a minute, see `connection`). So such a segment is deleted when the older kept
//! root is older than the grace period, and the segment itself is too (a segment younger
//! than that may belong to indexing in progress, whose root is not written yet). With
//! one root or none, nothing was replaced: only segments older than the grace period,
//! left by indexing that never finished, go. Owns the rule; the listing and deleting are
//! storage's.

use super::storage::{DbStorage, StorageError};
use std::collections::HashSet;
use std::time::{Duration, SystemTime};

/// What one collection did (or, for a dry run, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// Segments deleted.
    pub deleted: usize,
    /// Their bytes in storage.
    pub deleted_bytes: u64,
    /// Segments a kept root names.
    pub kept: usize,
    /// Segments no root names, kept for the grace period.
    pub young: usize,
}

/// Collects the index segments of the database `storage` holds.
pub async fn collect(
    storage: &dyn DbStorage,
    describe: &str,
    grace: Duration,
    dry_run: bool,
) -> Result<GcReport, StorageError> {
    let roots = storage.roots().await?;
    let mut named = HashSet::new();
    let mut written_ms = Vec::new();
    for root in &roots {
        match super::root::segments_of(&root.bytes) {
            Ok(Some((ms, keys))) => {
                named.extend(keys);
                written_ms.push(ms);
            }
            // A snapshot of an older version names no segment.
            Ok(None) => {}
            Err(e) => {
                return Err(StorageError::corrupt(
                    describe,
                    format!(
                        "the index root of t {} cannot be read: {e:#}",
                        root.cursor.t
                    ),
                ));
            }
        }
    }
    let now = SystemTime::now();
    let older = |at: SystemTime| now.duration_since(at).is_ok_and(|age| age >= grace);
    let replaced_long_ago = roots.len() < 2
        || written_ms.iter().min().is_some_and(|ms| {
            older(SystemTime::UNIX_EPOCH + Duration::from_millis((*ms).max(0) as u64))
        });
    let mut report = GcReport::default();
    let mut doomed = Vec::new();
    for s in storage.list_segments().await? {
        if named.contains(&s.key) {
            report.kept += 1;
        } else if replaced_long_ago && older(s.written) {
            report.deleted += 1;
            report.deleted_bytes += s.bytes;
            doomed.push(s.key);
        } else {
            report.young += 1;
        }
    }
    if !dry_run && !doomed.is_empty() {
        storage.delete_segments(doomed).await?;
    }
    if !dry_run {
        storage.sweep_unfinished(grace).await?;
    }
    Ok(report)
}
