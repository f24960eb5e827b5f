//! The compiled-code cache: a component's machine code kept on disk under the SHA-256
//! of the component and a hash of the engine's configuration, so loading code this node
//! has compiled before compiles nothing. An entry that fails its check (`disk_cache`), or
//! that wasmtime refuses, is compiled afresh and replaced. Lives at
//! `$ION_HOME/cache/compiled`, within the caches' budget, which each fresh compile
//! enforces.

use super::disk_cache;
use crate::store::PartId;
use anyhow::Result;
use std::hash::{Hash as _, Hasher as _};
use std::time::Instant;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Compiles `bytes`, or loads the code compiled for them before.
pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    let component_id = PartId::of(bytes);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let key = format!("{}-{:016x}.cwasm", component_id.hex(), h.finish());
    let path = disk_cache::dir("compiled").join(&key);
    if let Some(code) = disk_cache::read(&path) {
        // SAFETY: the entry was written by `Component::serialize` of this engine
        // configuration (its name carries the configuration's hash) and its bytes are
        // unchanged since (checked against the SHA-256 stored with them).
        match unsafe { Component::deserialize(engine, &code) } {
            Ok(component) => {
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
            if let Err(e) = disk_cache::write(&path, &code) {
                tracing::warn!("cannot keep compiled code in {}: {e:#}", path.display());
            }
            disk_cache::enforce();
        }
        Err(e) => tracing::warn!("cannot serialize compiled code: {e:#}"),
    }
    Ok(component)
}
