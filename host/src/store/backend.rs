//! Where a store's objects live: the `Backend` trait and the local-directory backend.
//! A backend moves opaque bytes under slash-separated keys; it knows nothing of parts,
//! hashes or manifests (that is `store`'s job). Writes are atomic: a reader sees a whole
//! object or none.

use anyhow::{Context as _, Result, bail};
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::SystemTime;

/// A backend operation in flight.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// One object found by `list`.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its full key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written, where the backend knows.
    pub modified: Option<SystemTime>,
}

/// Object storage with atomic whole-object writes.
pub trait Backend: Send + Sync {
    /// Where the store is, for messages: a directory or `s3://bucket/prefix`.
    fn describe(&self) -> String;
    /// The object under `key`, or `None` when there is none.
    fn get<'a>(&'a self, key: &'a str) -> Fut<'a, Option<Vec<u8>>>;
    /// Whether an object is stored under `key`.
    fn exists<'a>(&'a self, key: &'a str) -> Fut<'a, bool>;
    /// Stores `bytes` under `key`. With `if_absent`, an existing object is left as it is
    /// and the answer is `false`; otherwise the object is replaced. `true`: written.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, if_absent: bool) -> Fut<'a, bool>;
    /// Every object whose key starts with `prefix`, in key order.
    fn list<'a>(&'a self, prefix: &'a str) -> Fut<'a, Vec<Listed>>;
    /// Removes the object under `key` (no error when it is already gone).
    fn delete<'a>(&'a self, key: &'a str) -> Fut<'a, ()>;
}

/// A store in a local directory: each key is a file under the root.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// The store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> LocalDir {
        LocalDir { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        if key.is_empty()
            || key
                .split('/')
                .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        {
            bail!("store key {key:?} is not a plain relative path");
        }
        Ok(self.root.join(key))
    }

    /// Writes `key` now, replacing what is there (for callers outside async code).
    pub fn put_now(&self, key: &str, bytes: &[u8]) -> Result<bool> {
        self.put_sync(key, bytes, false)
    }

    fn put_sync(&self, key: &str, bytes: &[u8], if_absent: bool) -> Result<bool> {
        let path = self.path(key)?;
        let dir = path.parent().expect("keys have a parent");
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        if if_absent && path.exists() {
            return Ok(false);
        }
        let tmp = dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = (|| -> std::io::Result<()> {
            let mut file = std::fs::File::create_new(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("writing {}", tmp.display()));
        }
        // A hard link creates the name only if it is free: create-if-absent, atomically.
        // A rename replaces it atomically.
        let placed = if if_absent {
            match std::fs::hard_link(&tmp, &path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e),
            }
        } else {
            std::fs::rename(&tmp, &path).map(|()| true)
        };
        let _ = std::fs::remove_file(&tmp);
        let placed = placed.with_context(|| format!("placing {}", path.display()))?;
        sync_dir(dir)?;
        Ok(placed)
    }

    fn list_sync(&self, prefix: &str) -> Result<Vec<Listed>> {
        // Walk the directory that holds the prefix, then filter by the whole prefix.
        let base = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let start = if base.is_empty() {
            self.root.clone()
        } else {
            self.path(base)?
        };
        let mut out = Vec::new();
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
            };
            for entry in entries {
                let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(".tmp-") {
                    continue;
                }
                let meta = entry.metadata()?;
                if meta.is_dir() {
                    stack.push(entry.path());
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(&self.root)
                    .expect("walked under the root")
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                if rel.starts_with(prefix) {
                    out.push(Listed {
                        key: rel,
                        size: meta.len(),
                        modified: meta.modified().ok(),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

impl Backend for LocalDir {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn get<'a>(&'a self, key: &'a str) -> Fut<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let path = self.path(key)?;
            match tokio::fs::read(&path).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> Fut<'a, bool> {
        Box::pin(async move { Ok(tokio::fs::try_exists(self.path(key)?).await?) })
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, if_absent: bool) -> Fut<'a, bool> {
        Box::pin(async move {
            let this = self.clone();
            let key = key.to_owned();
            tokio::task::spawn_blocking(move || this.put_sync(&key, &bytes, if_absent)).await?
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> Fut<'a, Vec<Listed>> {
        Box::pin(async move {
            let this = self.clone();
            let prefix = prefix.to_owned();
            tokio::task::spawn_blocking(move || this.list_sync(&prefix)).await?
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
            }
        })
    }
}
