//! Cranelift's incremental compilation cache, kept on disk: the machine code of each
//! function, under a hash of Cranelift's key for it (the function's body and everything
//! that affects its code). Two revisions of an app share most functions — all of a Python
//! or JavaScript runtime's, whose revisions differ in their memory snapshot — so compiling
//! a new revision recompiles only what changed. Lives at `$ION_HOME/cache/functions`, in
//! the entry format and within the budget of the node's caches (`disk_cache`); deleting
//! it is always safe (the next compiles are just slower).

use super::disk_cache;
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
        FunctionCache {
            root: disk_cache::dir("functions"),
        }
    }

    fn path(&self, key: &[u8]) -> PathBuf {
        let h = hex::encode(Sha256::digest(key));
        self.root.join(&h[..2]).join(&h[2..])
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        disk_cache::read(&self.path(key)).map(Cow::Owned)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        disk_cache::write(&self.path(key), &value).is_ok()
    }
}
