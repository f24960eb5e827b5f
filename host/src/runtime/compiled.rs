//! The compiled-code cache: a component's machine code kept on disk under the SHA-256
//! of the component and a hash of the engine's configuration, so loading code this node
//! has compiled before compiles nothing. An entry carries the SHA-256 of its own bytes
//! and is checked before use; an entry that fails the check, or that wasmtime refuses,
//! is compiled afresh and replaced. Lives at `$ION_HOME/cache/compiled`, within the
//! caches' budget (`cache_limit`), which each fresh compile enforces.

use crate::store::{LocalDir, PartId, ion_home};
use anyhow::Result;
use std::hash::{Hash as _, Hasher as _};
use std::path::PathBuf;
use std::time::Instant;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled code is kept.
pub fn dir() -> PathBuf {
    ion_home().join("cache").join("compiled")
}

/// Compiles `bytes`, or loads the code compiled for them before.
pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    let component_id = PartId::of(bytes);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let key = format!("{}-{:016x}.cwasm", component_id.hex(), h.finish());
    let path = dir().join(&key);
    if let Ok(entry) = std::fs::read(&path)
        && entry.len() > 32
        && PartId::of(&entry[32..]).0 == entry[..32]
    {
        // SAFETY: the entry was written by `Component::serialize` of this engine
        // configuration (its name carries the configuration's hash) and its bytes are
        // unchanged since (checked against the SHA-256 stored with them).
        match unsafe { Component::deserialize(engine, &entry[32..]) } {
            Ok(component) => {
                super::cache_limit::touch(&path);
                tracing::info!(component = %component_id, "compiled code loaded from the cache");
                crate::metrics::metrics().compile_cache(true);
                return Ok(component);
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), "compiled-code cache entry refused, compiling: {e:#}")
            }
        }
    }
    crate::metrics::metrics().compile_cache(false);
    let started = Instant::now();
    let component = Component::new(engine, bytes)?;
    tracing::info!(
        component = %component_id,
        ms = started.elapsed().as_millis() as u64,
        "compiled the component"
    );
    match component.serialize() {
        Ok(code) => {
            let mut entry = PartId::of(&code).0.to_vec();
            entry.extend(code);
            if let Err(e) = LocalDir::new(dir()).put_now(&key, &entry) {
                tracing::warn!("cannot keep compiled code in {}: {e:#}", dir().display());
            }
            super::cache_limit::enforce();
        }
        Err(e) => tracing::warn!("cannot serialize compiled code: {e:#}"),
    }
    Ok(component)
}
