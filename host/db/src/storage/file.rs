//! `file:DIR`: the embedded default. Database NAME is the folder DIR/NAME holding `log`,
//! its transaction log, `snapshot` (the index root; `snapshot.1` the one before) and
//! `segments`.
//!
//! The log is one append-only file of frames: a record's length (u32), a CRC-32 of it,
//! and the record. A writer takes the file's lock (`flock`) only to append: under it, the
//! log must end where the writer last read it, else another process appended first and
//! the append is a conflict (the caller catches up and tries again). So several processes
//! on one machine may share a database, and one serial order holds between them. Frames
//! are written and `fdatasync`ed before the append returns; a batch of records costs one
//! sync (group commit).
//!
//! A torn frame at the end (a crash while writing it) is never read: readers stop before
//! it, and the next writer, under the lock, cuts it off. A snapshot is written to a
//! temporary file, synced, and renamed into place; it names the log offset it covers.
//!
//! All of it is blocking file I/O, so every operation runs on tokio's blocking pool, but
//! appends, which the connection makes inline on its own commit thread (`InlineAppend`).

use super::{Appended, Cursor, DbStorage, InlineAppend, Record, Snapshot, Storage, StorageError};
use crate::segment::{Key, SegmentSource};
use async_trait::async_trait;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

#[path = "file_segments.rs"]
mod segments;

const SNAPSHOT_MAGIC: &[u8; 8] = b"ionsnap1";
/// How much of the log one read takes into memory (beyond its first record) at most.
const READ_CHUNK: u64 = 16 << 20;

/// Databases in folders under one directory.
pub struct FileStorage {
    dir: PathBuf,
    describe: String,
}

impl FileStorage {
    /// The databases under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> FileStorage {
        let dir = dir.into();
        FileStorage {
            describe: format!("file:{}", dir.display()),
            dir,
        }
    }
}

/// Runs blocking `f` on tokio's blocking pool, naming `storage` if the pool is gone.
async fn blocking<T: Send + 'static>(
    storage: &str,
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::unavailable(storage, format!("the I/O task failed: {e}")))?
}

#[async_trait]
impl Storage for FileStorage {
    fn describe(&self) -> &str {
        &self.describe
    }

    async fn create(&self, name: &str) -> Result<(), StorageError> {
        let (path, storage) = (self.dir.join(name), self.describe.clone());
        blocking(&self.describe, move || {
            std::fs::create_dir_all(&path)
                .and_then(|()| {
                    OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path.join("log"))
                        .map(|_| ())
                })
                .map_err(|e| {
                    StorageError::unavailable(&storage, format!("creating {}: {e}", path.display()))
                })
        })
        .await
    }

    async fn list(&self) -> Result<Vec<String>, StorageError> {
        let (dir, storage) = (self.dir.clone(), self.describe.clone());
        blocking(&self.describe, move || {
            let mut out = Vec::new();
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                Err(e) => return Err(StorageError::unavailable(&storage, e)),
            };
            for entry in entries.flatten() {
                if entry.path().join("log").is_file() {
                    out.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            out.sort();
            Ok(out)
        })
        .await
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let (path, storage) = (self.dir.join(name), self.describe.clone());
        blocking(&self.describe, move || {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(StorageError::unavailable(
                    &storage,
                    format!("deleting {}: {e}", path.display()),
                )),
            }
        })
        .await
    }

    async fn open(&self, name: &str) -> Result<Arc<dyn DbStorage>, StorageError> {
        let dir = self.dir.join(name);
        let (storage, name) = (self.describe.clone(), name.to_owned());
        blocking(&self.describe, move || {
            let path = dir.join("log");
            let file = match OpenOptions::new().read(true).append(true).open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(StorageError::NotFound { storage, name });
                }
                Err(e) => {
                    return Err(StorageError::unavailable(
                        &storage,
                        format!("opening {}: {e}", path.display()),
                    ));
                }
            };
            Ok(Arc::new(FileDb(Arc::new(Inner {
                id: dir.display().to_string(),
                dir,
                path,
                file,
                storage,
            }))) as Arc<dyn DbStorage>)
        })
        .await
    }

    fn poll_interval(&self) -> std::time::Duration {
        // A stat of the log: cheap enough to look often for other processes' records.
        std::time::Duration::from_millis(50)
    }
}

/// One database's folder.
struct FileDb(Arc<Inner>);

struct Inner {
    id: String,
    dir: PathBuf,
    path: PathBuf,
    file: File,
    storage: String,
}

impl Inner {
    fn io<'a>(&'a self, what: &'a str) -> impl Fn(std::io::Error) -> StorageError + 'a {
        move |e| {
            StorageError::unavailable(
                &self.storage,
                format!("{what} {}: {e}", self.path.display()),
            )
        }
    }
}

impl Inner {
    /// The frames of the log between offsets `from` and `to`: whole, checked records in
    /// order, and the offset just past the last. Reads only what it returns: at most
    /// `limit` records and, past the first, about `READ_CHUNK` bytes. Stops at a frame
    /// that is not whole, or fails its check: the end of what a writer has finished.
    fn frames(&self, from: u64, to: u64, limit: usize) -> Result<(Vec<Record>, u64), StorageError> {
        let io = self.io("reading");
        let mut file = &self.file;
        file.seek(SeekFrom::Start(from)).map_err(&io)?;
        let mut log = std::io::BufReader::with_capacity(1 << 20, file).take(to - from);
        let (mut at, mut out) = (from, Vec::new());
        while out.len() < limit && (out.is_empty() || at - from < READ_CHUNK) {
            let mut head = [0u8; 8];
            if !read_whole(&mut log, &mut head).map_err(&io)? {
                break;
            }
            let len = u64::from(u32::from_le_bytes(head[..4].try_into().expect("4 bytes")));
            let crc = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
            if at + 8 + len > to {
                break;
            }
            let mut payload = vec![0; len as usize];
            if !read_whole(&mut log, &mut payload).map_err(&io)? || crc32fast::hash(&payload) != crc
            {
                break;
            }
            let t = record_t(&payload).ok_or_else(|| {
                StorageError::corrupt(
                    &self.storage,
                    format!(
                        "{}: the record at byte {at} does not start with its t",
                        self.path.display()
                    ),
                )
            })?;
            out.push(Record { t, bytes: payload });
            at += 8 + len;
        }
        Ok((out, at))
    }
}

/// Fills `buf` from `r`: false when `r` ends first.
fn read_whole(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// The `t` a record names in its first bytes (`{:t 42 …`).
fn record_t(payload: &[u8]) -> Option<i64> {
    let rest = payload.strip_prefix(b"{:t ")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

#[async_trait]
impl DbStorage for FileDb {
    fn id(&self) -> &str {
        &self.0.id
    }

    async fn append(&self, after: Cursor, records: &[Record]) -> Result<Appended, StorageError> {
        let (this, records) = (self.0.clone(), records.to_vec());
        blocking(&self.0.storage, move || this.append(after, &records)).await
    }

    async fn read(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<Record>, Cursor), StorageError> {
        let this = self.0.clone();
        blocking(&self.0.storage, move || {
            let file = &this.file;
            let len = file.metadata().map_err(this.io("reading"))?.len();
            if len <= after.offset {
                return Ok((Vec::new(), after));
            }
            let (records, end) = this.frames(after.offset, len, limit)?;
            let cursor = Cursor {
                t: records.last().map_or(after.t, |r| r.t),
                offset: end,
            };
            Ok((records, cursor))
        })
        .await
    }

    async fn record_at(
        &self,
        t: i64,
        near: Cursor,
    ) -> Result<Option<(Record, Cursor)>, StorageError> {
        let mut cursor = near;
        loop {
            let (records, next) = self.read(cursor, 1024).await?;
            if records.is_empty() {
                return Ok(None);
            }
            for r in records {
                cursor = Cursor {
                    t: r.t,
                    offset: cursor.offset + 8 + r.bytes.len() as u64,
                };
                if r.t == t {
                    return Ok(Some((r, cursor)));
                }
            }
            if next.t >= t {
                return Ok(None);
            }
        }
    }

    async fn load_snapshot(&self) -> Result<Option<Snapshot>, StorageError> {
        let path = self.0.dir.join("snapshot");
        let storage = self.0.storage.clone();
        blocking(&self.0.storage, move || match read_snapshot(&path, &storage) {
            Err(StorageError::Corrupt { .. }) => {
                tracing::warn!(snapshot = %path.display(), "ignoring a damaged snapshot; replaying the whole log");
                Ok(None)
            }
            other => other,
        })
        .await
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StorageError> {
        let (dir, storage) = (self.0.dir.clone(), self.0.storage.clone());
        blocking(&self.0.storage, move || {
            let mut file = Vec::with_capacity(snapshot.bytes.len() + 20);
            file.extend(SNAPSHOT_MAGIC);
            file.extend(snapshot.cursor.offset.to_le_bytes());
            file.extend(crc32fast::hash(&snapshot.bytes).to_le_bytes());
            file.extend(&snapshot.bytes);
            let current = dir.join("snapshot");
            if let Ok(mut f) = File::open(&current) {
                let mut head = [0u8; 16];
                if f.read_exact(&mut head).is_ok()
                    && &head[..8] == SNAPSHOT_MAGIC
                    && u64::from_le_bytes(head[8..].try_into().expect("8 bytes"))
                        >= snapshot.cursor.offset
                {
                    return Ok(());
                }
            }
            let tmp = dir.join(format!("snapshot.tmp{}", std::process::id()));
            (|| -> std::io::Result<()> {
                let mut f = File::create(&tmp)?;
                f.write_all(&file)?;
                f.sync_all()?;
                // The root it replaces stays one generation, as `snapshot.1`: garbage
                // collection keeps its segments for nodes still reading through it.
                // Linked, then renamed, so a crash between leaves `snapshot` in place.
                let link = dir.join("snapshot.1.new");
                let _ = std::fs::remove_file(&link);
                match std::fs::hard_link(&current, &link) {
                    Ok(()) => std::fs::rename(&link, dir.join("snapshot.1"))?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                std::fs::rename(&tmp, &current)?;
                File::open(&dir)?.sync_all()
            })()
            .map_err(|e| {
                StorageError::unavailable(
                    &storage,
                    format!("writing the snapshot in {}: {e}", dir.display()),
                )
            })
        })
        .await
    }

    async fn roots(&self) -> Result<Vec<Snapshot>, StorageError> {
        let (dir, storage) = (self.0.dir.clone(), self.0.storage.clone());
        blocking(&self.0.storage, move || {
            ["snapshot", "snapshot.1"]
                .iter()
                .filter_map(|name| read_snapshot(&dir.join(name), &storage).transpose())
                .collect()
        })
        .await
    }

    async fn list_segments(&self) -> Result<Vec<super::StoredSegment>, StorageError> {
        let segments = self.0.segments();
        blocking(&self.0.storage, move || segments.list()).await
    }

    async fn delete_segments(&self, keys: Vec<Key>) -> Result<(), StorageError> {
        let segments = self.0.segments();
        blocking(&self.0.storage, move || segments.delete(&keys)).await
    }

    async fn sweep_unfinished(&self, grace: std::time::Duration) -> Result<usize, StorageError> {
        let segments = self.0.segments();
        blocking(&self.0.storage, move || segments.sweep(grace)).await
    }

    async fn put_segment(&self, key: Key, bytes: Vec<u8>) -> Result<(), StorageError> {
        let segments = self.0.segments();
        blocking(&self.0.storage, move || segments.put(&key, &bytes)).await
    }

    fn segments(&self) -> Arc<dyn SegmentSource> {
        Arc::new(self.0.segments())
    }

    fn inline(&self) -> Option<&dyn InlineAppend> {
        Some(&*self.0)
    }
}

impl InlineAppend for Inner {
    /// Under the log's lock: a conflict if the log no longer ends at `after`, else the
    /// batch's frames written and synced.
    fn append(&self, after: Cursor, records: &[Record]) -> Result<Appended, StorageError> {
        let mut batch = Vec::new();
        for r in records {
            batch.extend((r.bytes.len() as u32).to_le_bytes());
            batch.extend(crc32fast::hash(&r.bytes).to_le_bytes());
            batch.extend(&r.bytes);
        }
        let last_t = records.last().map_or(after.t, |r| r.t);
        let file = &self.file;
        file.lock().map_err(self.io("locking"))?;
        let result = (|| {
            let len = file.metadata().map_err(self.io("reading"))?.len();
            if len < after.offset {
                return Err(StorageError::corrupt(
                    &self.storage,
                    format!(
                        "{} is {len} bytes, shorter than the {} already read from it",
                        self.path.display(),
                        after.offset
                    ),
                ));
            }
            if len > after.offset {
                let (found, _) = self.frames(after.offset, len, 1)?;
                if !found.is_empty() {
                    return Ok(Appended::Conflict {
                        written: 0,
                        cursor: after,
                    });
                }
                tracing::warn!(
                    log = %self.path.display(),
                    bytes = len - after.offset,
                    "cutting a torn record off the end of the transaction log (a crash while writing it); it was never acknowledged"
                );
                file.set_len(after.offset).map_err(self.io("truncating"))?;
            }
            let mut f = file;
            if let Err(e) = f.write_all(&batch).and_then(|()| f.sync_data()) {
                // Leave no part of the batch behind for a reader to take as written.
                let _ = file.set_len(after.offset).and_then(|()| file.sync_data());
                return Err(self.io("appending to")(e));
            }
            Ok(Appended::All(Cursor {
                t: last_t,
                offset: after.offset + batch.len() as u64,
            }))
        })();
        let _ = file.unlock();
        result
    }
}

/// The root (or older snapshot) in file `path`: `None` when there is none, `Corrupt` when
/// it is not whole.
fn read_snapshot(path: &std::path::Path, storage: &str) -> Result<Option<Snapshot>, StorageError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StorageError::unavailable(
                storage,
                format!("reading {}: {e}", path.display()),
            ));
        }
    };
    let (offset, body) = unframe_snapshot(&bytes)
        .ok_or_else(|| StorageError::corrupt(storage, format!("{} is damaged", path.display())))?;
    Ok(Some(Snapshot {
        cursor: Cursor {
            t: crate::snapshot::basis_t(body).unwrap_or(0),
            offset,
        },
        bytes: body.to_vec(),
    }))
}

/// The log offset and body of a snapshot file, if it is whole.
fn unframe_snapshot(bytes: &[u8]) -> Option<(u64, &[u8])> {
    if bytes.len() < 20 || &bytes[..8] != SNAPSHOT_MAGIC {
        return None;
    }
    let offset = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let crc = u32::from_le_bytes(bytes[16..20].try_into().ok()?);
    let body = &bytes[20..];
    (crc32fast::hash(body) == crc).then_some((offset, body))
}
