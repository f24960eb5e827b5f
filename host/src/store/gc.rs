//! Garbage collection: removes parts that no revision needs. A part is needed when a
//! manifest names it or when a needed part is stored as a delta against it. Parts
//! younger than a grace period are kept, so a push that is uploading parts right now,
//! before its manifest exists, never loses them.

use super::{PartId, Store, part};
use anyhow::Result;
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

/// What a collection did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Parts removed.
    pub deleted: usize,
    /// Their stored bytes.
    pub deleted_bytes: u64,
    /// Parts kept because a revision needs them.
    pub kept: usize,
    /// Unneeded parts kept because they are younger than the grace period.
    pub young: usize,
}

/// Removes unneeded parts older than `grace` (only counts them when `dry_run`).
pub async fn collect(store: &Store, grace: Duration, dry_run: bool) -> Result<GcReport> {
    // Read the parts before the manifests: a part uploaded after this listing is not
    // considered at all, and one listed here whose manifest lands meanwhile is young.
    let parts = store.backend().list("parts/sha256/").await?;
    let mut needed: BTreeSet<PartId> = BTreeSet::new();
    let mut frontier: Vec<PartId> = Vec::new();
    for manifest in store.revisions(None).await? {
        for p in manifest.parts {
            if needed.insert(p.id) {
                frontier.push(p.id);
            }
        }
    }
    while let Some(id) = frontier.pop() {
        let Ok(encoded) = store.get_encoded(&id).await else {
            continue;
        };
        if let Ok(part::Header {
            base: Some((base, _)),
            ..
        }) = part::header(&encoded)
            && needed.insert(base)
        {
            frontier.push(base);
        }
    }
    let now = SystemTime::now();
    let mut report = GcReport::default();
    for listed in parts {
        let Some(hex) = listed.key.strip_prefix("parts/sha256/") else {
            continue;
        };
        let Ok(id) = PartId::parse(hex) else { continue };
        if needed.contains(&id) {
            report.kept += 1;
            continue;
        }
        let age = listed
            .modified
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if age < grace {
            report.young += 1;
            continue;
        }
        if !dry_run {
            store.backend().delete(&listed.key).await?;
        }
        report.deleted += 1;
        report.deleted_bytes += listed.size;
    }
    Ok(report)
}
