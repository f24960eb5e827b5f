//! The WIT contract the host was built with, for SDK build tools that need it on disk
//! (componentize-py, componentize-js). Written once per contract under the build cache.

use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The contract's files, as compiled into the host.
pub const FILES: [(&str, &str); 6] = [
    ("cast.wit", include_str!("../../../wit/cast.wit")),
    ("db.wit", include_str!("../../../wit/db.wit")),
    ("env.wit", include_str!("../../../wit/env.wit")),
    ("exports.wit", include_str!("../../../wit/exports.wit")),
    ("types.wit", include_str!("../../../wit/types.wit")),
    ("worlds.wit", include_str!("../../../wit/worlds.wit")),
];

/// A hash of the contract's text.
pub fn digest() -> String {
    let mut h = Sha256::new();
    for (name, text) in FILES {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// A folder holding the contract's files, written if needed.
pub fn dir() -> Result<PathBuf> {
    let dir = super::cache_dir().join("wit").join(digest());
    if !dir.join(FILES[FILES.len() - 1].0).is_file() {
        let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        for (name, text) in FILES {
            std::fs::write(tmp.join(name), text)
                .with_context(|| format!("writing {}", tmp.join(name).display()))?;
        }
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another build wrote it first.
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
    Ok(dir)
}
