//! `file:` storage's index segments: the folder DIR/NAME/segments, one file per
//! segment named by its key, each written to a temporary file, synced and renamed into
//! place. Listing and deleting them is garbage collection's. Part of `file`.

use super::super::StoredSegment;
use super::{Inner, StorageError};
use crate::segment::{Key, SegmentSource};
use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;

impl Inner {
    pub(super) fn segments(&self) -> Segments {
        Segments {
            dir: self.dir.join("segments"),
            storage: self.storage.clone(),
        }
    }
}

/// A database's `segments` folder: one file per segment, named by its key.
pub(super) struct Segments {
    dir: PathBuf,
    storage: String,
}

impl Segments {
    /// Writes segment `key` to a temporary file, syncs it and renames it into place
    /// (then syncs the folder), unless it is there.
    pub(super) fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), StorageError> {
        let path = self.dir.join(key.hex());
        if path.exists() {
            return Ok(());
        }
        // Two trees may hold the same segment (the history and EAVT, before any
        // retraction), written at once: each writer has a temporary file of its own.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!("{}.tmp{}-{n}", key.hex(), std::process::id()));
        (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        })()
        .map_err(|e| {
            StorageError::unavailable(&self.storage, format!("writing {}: {e}", path.display()))
        })
    }
}

impl SegmentSource for Segments {
    fn read_segment(&self, key: &Key) -> Result<Vec<u8>, StorageError> {
        let path = self.dir.join(key.hex());
        std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StorageError::corrupt(
                    &self.storage,
                    format!(
                        "the index root names segment {}, which is missing",
                        path.display()
                    ),
                )
            } else {
                StorageError::unavailable(&self.storage, format!("reading {}: {e}", path.display()))
            }
        })
    }

    fn describe(&self) -> &str {
        &self.storage
    }
}

impl Segments {
    /// Every segment in the folder, with when it was written and its size.
    pub(super) fn list(&self) -> Result<Vec<StoredSegment>, StorageError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io("listing", e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.io("listing", e))?;
            let Some(key) = entry.file_name().to_str().and_then(Key::parse) else {
                continue;
            };
            let meta = entry.metadata().map_err(|e| self.io("listing", e))?;
            out.push(StoredSegment {
                key,
                written: meta.modified().map_err(|e| self.io("listing", e))?,
                bytes: meta.len(),
            });
        }
        Ok(out)
    }

    /// Deletes segments `keys` (one already gone is no error).
    pub(super) fn delete(&self, keys: &[Key]) -> Result<(), StorageError> {
        for key in keys {
            match std::fs::remove_file(self.dir.join(key.hex())) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.io("deleting a segment in", e)),
            }
        }
        Ok(())
    }

    /// Deletes the temporary files of segment writes a crash cut short, older than
    /// `grace` (younger ones may be writes in progress). Returns how many went.
    pub(super) fn sweep(&self, grace: std::time::Duration) -> Result<usize, StorageError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(self.io("listing", e)),
        };
        let mut swept = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let unfinished = name.to_str().is_some_and(|n| n.contains(".tmp"));
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().is_ok_and(|age| age >= grace));
            if unfinished && old && std::fs::remove_file(entry.path()).is_ok() {
                swept += 1;
            }
        }
        Ok(swept)
    }

    fn io(&self, what: &str, e: std::io::Error) -> StorageError {
        StorageError::unavailable(&self.storage, format!("{what} {}: {e}", self.dir.display()))
    }
}
