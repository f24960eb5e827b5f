//! The node's on-disk caches under `$ION_HOME/cache`: compiled code (`compiled`),
//! pre-initialised snapshots (`preinit`) and compiled functions (`functions`). They share
//! one entry format — the SHA-256 of the bytes, then the bytes — so a torn or damaged
//! entry reads as a miss; one way to write an entry (aside, then renamed, without fsync:
//! an entry lost to a crash is a miss too); and one byte budget. They grow with every
//! revision a node loads — a Python revision leaves tens of megabytes — so after each fresh
//! compile the entries used least recently are removed until the caches fit in
//! `ION_CACHE_MAX_BYTES` (default 8 GiB). Reading an entry refreshes its modification
//! time, which is what "recently used" means here. Everything in these caches can be made
//! again, so removing any entry is always safe.

use crate::store::ion_home;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

/// The budget when `ION_CACHE_MAX_BYTES` is not set.
pub const DEFAULT_MAX_BYTES: u64 = 8 << 30;

/// The cache folders under `$ION_HOME/cache` this owns.
const DIRS: [&str; 3] = ["compiled", "preinit", "functions"];

/// The folder of cache `name` (one of `compiled`, `preinit`, `functions`).
pub fn dir(name: &str) -> PathBuf {
    debug_assert!(
        DIRS.contains(&name),
        "{name} is not one of the node's caches"
    );
    ion_home().join("cache").join(name)
}

/// The bytes of the entry at `path`, when it exists and is whole; marks it used.
pub fn read(path: &Path) -> Option<Vec<u8>> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut entry = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut entry).ok()?;
    if entry.len() < 32 || Sha256::digest(&entry[32..])[..] != entry[..32] {
        return None;
    }
    let _ = file.set_modified(SystemTime::now());
    entry.drain(..32);
    Some(entry)
}

/// Writes `bytes` as the entry at `path`. Readers never see half an entry: it is
/// written aside and renamed into place.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut entry = Sha256::digest(bytes).to_vec();
    entry.extend_from_slice(bytes);
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&tmp, &entry))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The budget: `ION_CACHE_MAX_BYTES` (bytes), or the default. A value that is not a
/// number is reported once and the default used.
pub fn max_bytes() -> u64 {
    static MAX: OnceLock<u64> = OnceLock::new();
    *MAX.get_or_init(|| match std::env::var("ION_CACHE_MAX_BYTES") {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| {
            tracing::warn!(
                value = %text,
                "ION_CACHE_MAX_BYTES is not a whole number of bytes; using {DEFAULT_MAX_BYTES}"
            );
            DEFAULT_MAX_BYTES
        }),
        Err(_) => DEFAULT_MAX_BYTES,
    })
}

/// What one pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Entries removed.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// What the caches hold after the pass.
    pub kept_bytes: u64,
}

/// Bounds this node's caches (see the module's comment).
pub fn enforce() {
    let dirs: Vec<PathBuf> = DIRS.iter().map(|d| dir(d)).collect();
    let pruned = prune(&dirs, max_bytes());
    if pruned.files > 0 {
        tracing::info!(
            files = pruned.files,
            bytes = pruned.bytes,
            kept_bytes = pruned.kept_bytes,
            "removed the least recently used cache entries to stay within ION_CACHE_MAX_BYTES"
        );
    }
}

/// Removes the least recently modified files under `dirs` until they hold at most 90% of
/// `max` bytes (so a pass is not needed after every compile), when they hold more than
/// `max`.
pub fn prune(dirs: &[PathBuf], max: u64) -> Pruned {
    let mut files = Vec::new();
    for dir in dirs {
        collect(dir, &mut files);
    }
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    let mut pruned = Pruned::default();
    if total > max {
        files.sort_by_key(|f| f.2);
        let target = max / 10 * 9;
        for (path, size, _) in files {
            if total <= target {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= size;
                pruned.files += 1;
                pruned.bytes += size;
            }
        }
    }
    pruned.kept_bytes = total;
    pruned
}

fn collect(dir: &Path, out: &mut Vec<(PathBuf, u64, SystemTime)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // Entries being written (`.tmp-…`) belong to a writer that is still at work.
        if entry.file_name().to_string_lossy().contains(".tmp") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            collect(&entry.path(), out);
        } else {
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            out.push((entry.path(), meta.len(), modified));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_least_recently_used_go_first_down_to_nine_tenths() {
        let root = std::env::temp_dir().join(format!("ion-cache-limit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (a, b) = (root.join("a"), root.join("b/sub"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let base = SystemTime::now() - Duration::from_secs(1000);
        // Ten 100-byte files, file i last used at base + i seconds, across two folders.
        for i in 0..10u64 {
            let path = if i % 2 == 0 { &a } else { &b }.join(format!("f{i}"));
            std::fs::write(&path, [0u8; 100]).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            file.set_modified(base + Duration::from_secs(i)).unwrap();
        }
        // The oldest is used now: it must outlive the others.
        let f0 = std::fs::File::open(a.join("f0")).unwrap();
        f0.set_modified(SystemTime::now()).unwrap();
        let dirs = [a.clone(), root.join("b")];
        assert_eq!(
            prune(&dirs, 1000).files,
            0,
            "within the budget: nothing goes"
        );
        let pruned = prune(&dirs, 600);
        assert_eq!(pruned.files, 5, "{pruned:?}");
        assert_eq!(pruned.kept_bytes, 500);
        for gone in ["f1", "f2", "f3", "f4", "f5"] {
            let dir = if gone[1..].parse::<u32>().unwrap() % 2 == 0 {
                &a
            } else {
                &b
            };
            assert!(!dir.join(gone).exists(), "{gone} was kept");
        }
        assert!(a.join("f0").exists(), "the entry used last was removed");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn an_entry_reads_back_whole_marks_itself_used_and_a_damaged_one_is_a_miss() {
        let root = std::env::temp_dir().join(format!("ion-disk-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let path = root.join("ab/entry");
        write(&path, b"machine code").unwrap();
        let old = SystemTime::now() - Duration::from_secs(1000);
        std::fs::File::open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(read(&path).as_deref(), Some(&b"machine code"[..]));
        let used = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert!(used > old, "reading did not mark the entry used");
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read(&path), None, "a damaged entry was read");
        assert_eq!(read(&root.join("missing")), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
