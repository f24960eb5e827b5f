//! Cranelift's incremental compilation cache, kept on disk: the machine code of each
//! function, under a hash of Cranelift's key for it (the function's body and everything
//! that affects its code). Two revisions of an app share most functions — all of a Python
//! or JavaScript runtime's, whose revisions differ in their memory snapshot — so compiling
//! a new revision recompiles only what changed. Lives at `$ION_HOME/cache/functions`,
//! within the caches' budget (`cache_limit`); deleting it is always safe (the next
//! compiles are just slower).

use crate::store::ion_home;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::PathBuf;
use wasmtime::CacheStore;

/// The on-disk store of compiled functions.
#[derive(Debug)]
pub struct FunctionCache {
    root: PathBuf,
}

impl FunctionCache {
    /// The cache under `$ION_HOME/cache/functions`.
    pub fn new() -> FunctionCache {
        let root = ion_home().join("cache").join("functions");
        FunctionCache { root }
    }

    fn name(key: &[u8]) -> String {
        let h = hex::encode(Sha256::digest(key));
        format!("{}/{}", &h[..2], &h[2..])
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let mut file = std::fs::File::open(self.root.join(Self::name(key))).ok()?;
        let mut entry = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut entry).ok()?;
        // Used now: the cache's budget removes the least recently used first.
        let _ = file.set_modified(std::time::SystemTime::now());
        // An entry carries the SHA-256 of its bytes: a torn or damaged file is a miss.
        if entry.len() < 32 || Sha256::digest(&entry[32..])[..] != entry[..32] {
            return None;
        }
        Some(Cow::Owned(entry[32..].to_vec()))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let mut entry = Sha256::digest(&value).to_vec();
        entry.extend(value);
        // No fsync: a cache entry lost to a crash is only a miss (and a torn one fails
        // its hash). Written aside and renamed, so readers never see half an entry.
        let path = self.root.join(Self::name(key));
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&tmp, &entry))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.is_ok()
    }
}
