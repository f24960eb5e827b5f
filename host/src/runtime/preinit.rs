//! Pre-initialising the apps of interpreted languages where they are loaded.
//!
//! A Python or JavaScript app is built as a *runtime* component (the language runtime and
//! the SDK, world `ion-runtime`, the same bytes for every revision) followed by one
//! custom section, `ion-app-sources`, holding the app's own sources as JSON. Before such
//! a component is compiled, the host instantiates the runtime, hands it the sources
//! through `ion:host/loader.load`, and snapshots the instance (Wizer) into an ordinary
//! component that starts with the app already imported. The snapshot is cached on disk
//! (`disk_cache`, `preinit`) under the SHA-256 of the input, so each node makes it once
//! per revision.
//!
//! So a revision's runtime is a part every revision shares in the store and a one-line
//! change uploads only the sources. Owns the section's layout (written by `host build`,
//! read here); knows nothing of HTTP, storage or configuration.

use super::app::{AppContext, Placement};
use super::call::CallLog;
use super::disk_cache;
use super::engine::Runtime;
use super::state::{CallInfo, IonState};
use crate::config::{AppInfo, EnvironmentMap};
use crate::store::PartId;
use anyhow::{Result, anyhow, bail};
use std::sync::Arc;
use std::time::Instant;
use wasm_encoder::{CustomSection, Section as _};
use wasmparser::{Parser, Payload};
use wasmtime::Store;
use wasmtime::component::{Instance, Lift, WasmList};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

/// The custom section that carries an interpreted app's sources.
pub const SOURCES_SECTION: &str = "ion-app-sources";

/// The loader export the runtime offers.
const LOADER: &str = "ion:host/loader@0.1.0";

/// How long loading an app's sources may take.
const LOAD_TIMEOUT_SECS: u64 = 120;

/// The sources section holding `sources`, encoded as it ends a component.
fn sources_section(sources: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    CustomSection {
        name: SOURCES_SECTION.into(),
        data: sources.into(),
    }
    .append_to(&mut encoded);
    encoded
}

/// Appends `sources` (JSON text) to `runtime` as the sources section.
pub fn attach_sources(runtime: &[u8], sources: &str) -> Vec<u8> {
    [runtime, &sources_section(sources.as_bytes())].concat()
}

/// Splits a component into its runtime and its sources, when it carries sources (as the
/// last top-level section).
pub fn split_sources(bytes: &[u8]) -> Result<Option<(&[u8], &str)>> {
    let mut depth = 0usize;
    let mut found = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| anyhow!("not a valid wasm component: {e}"))?;
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::CustomSection(c) if depth == 0 && c.name() == SOURCES_SECTION => {
                let Some(runtime) = bytes.strip_suffix(sources_section(c.data()).as_slice()) else {
                    bail!("the {SOURCES_SECTION} section must be the component's last section");
                };
                let text = std::str::from_utf8(c.data())
                    .map_err(|e| anyhow!("the {SOURCES_SECTION} section is not UTF-8: {e}"))?;
                found = Some((runtime, text));
            }
            _ => {}
        }
    }
    Ok(found)
}

/// The component to compile for `bytes`: `bytes` itself, or, when it carries sources,
/// its runtime pre-initialised with them (made now, or read from the cache).
pub async fn prepare(runtime: &Runtime, bytes: Vec<u8>) -> Result<Vec<u8>> {
    let Some((runtime_bytes, sources)) = split_sources(&bytes)? else {
        return Ok(bytes);
    };
    let id = PartId::of(&bytes);
    let path = disk_cache::dir("preinit").join(format!("{}.wasm", id.hex()));
    if let Some(snapshot) = disk_cache::read(&path) {
        tracing::info!(component = %id, "pre-initialised snapshot loaded from the cache");
        return Ok(snapshot);
    }
    let started = Instant::now();
    let snapshot = snapshot(runtime, runtime_bytes, sources).await?;
    tracing::info!(
        component = %id,
        ms = started.elapsed().as_millis() as u64,
        bytes = snapshot.len(),
        "pre-initialised the app from its sources"
    );
    if let Err(e) = disk_cache::write(&path, &snapshot) {
        tracing::warn!("cannot keep the snapshot in {}: {e:#}", path.display());
    }
    Ok(snapshot)
}

async fn snapshot(runtime: &Runtime, wasm: &[u8], sources: &str) -> Result<Vec<u8>> {
    let wizer = Wizer::new();
    let (cx, instrumented) = wizer
        .instrument_component(wasm)
        .map_err(|e| anyhow!("preparing the runtime component for its snapshot: {e:#}"))?;
    let engine = runtime.inner.engine.clone();
    // The instrumented runtime is the same for every revision: its code is cached.
    let component =
        tokio::task::spawn_blocking(move || super::compiled::compile(&engine, &instrumented))
            .await?
            .map_err(|e| anyhow!("compiling the runtime component: {e:#}"))?;
    let settings = runtime.settings();
    let placement = Placement::new(None, EnvironmentMap::default());
    let context = AppContext {
        revision: std::sync::OnceLock::new(),
        app_name: "preinit".into(),
        app_info: AppInfo::new("preinit", None, &placement.params_prefix)
            .map_err(|e| anyhow!("{e}"))?,
        env_map: placement.env_map,
        dev_mode: false,
        params: None,
        databases: None,
        alerts: Default::default(),
    };
    let log = CallLog::new(settings.output_limit_bytes);
    let call = CallInfo {
        request_id: "preinit".into(),
        fn_name: "ion:host/loader.load".into(),
        deadline: None,
    };
    let state = IonState::new(Arc::new(context), call, &log, settings.memory_limit_bytes());
    let mut store = Store::new(&runtime.inner.engine, state);
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(
        LOAD_TIMEOUT_SECS * 1000 / super::engine::EPOCH_TICK.as_millis() as u64,
    );
    let instance = runtime
        .inner
        .linker
        .instantiate_async(&mut store, &component)
        .await
        .map_err(|e| anyhow!("instantiating the runtime component: {e:#}"))?;
    let load = {
        let (_, iface) = instance
            .get_export(&mut store, None, LOADER)
            .ok_or_else(|| {
                anyhow!("the component carries app sources but does not export {LOADER}")
            })?;
        let (_, func) = instance
            .get_export(&mut store, Some(&iface), "load")
            .ok_or_else(|| anyhow!("{LOADER} has no `load` function"))?;
        instance
            .get_typed_func::<(&str,), (Result<(), String>,)>(&mut store, func)
            .map_err(|e| anyhow!("{LOADER}.load has the wrong type: {e:#}"))?
    };
    let result = load.call_async(&mut store, (sources,)).await;
    let output = log.tail(4096);
    match result {
        Ok((Ok(()),)) => {}
        Ok((Err(message),)) => bail!("the app's sources did not load: {message}"),
        Err(trap) => bail!(
            "the app's sources did not load: the runtime trapped: {trap:#}{}",
            if output.is_empty() {
                String::new()
            } else {
                format!("\n{output}")
            }
        ),
    }
    let snapshot = wizer
        .snapshot_component(
            &cx,
            &mut Snapshotting {
                store: &mut store,
                instance,
            },
        )
        .await
        .map_err(|e| anyhow!("snapshotting the loaded app: {e:#}"))?;
    Ok(snapshot)
}

/// Lets Wizer read the loaded instance's state.
struct Snapshotting<'a> {
    store: &'a mut Store<IonState>,
    instance: Instance,
}

impl Snapshotting<'_> {
    async fn call<R: Lift + Send + Sync + 'static, O>(
        &mut self,
        instance: &str,
        func: &str,
        use_ret: impl FnOnce(&mut Store<IonState>, R) -> O,
    ) -> O {
        // Wizer added these exports itself; they exist and have these types.
        let (_, iface) = self
            .instance
            .get_export(&mut *self.store, None, instance)
            .expect("wizer's instrumentation exports its accessors");
        let (_, export) = self
            .instance
            .get_export(&mut *self.store, Some(&iface), func)
            .expect("wizer's instrumentation exports its accessors");
        let f = self
            .instance
            .get_typed_func::<(), (R,)>(&mut *self.store, export)
            .expect("wizer's accessors have the types it asks for");
        let ret = f
            .call_async(&mut *self.store, ())
            .await
            .expect("reading the instance's state does not trap")
            .0;
        use_ret(&mut *self.store, ret)
    }
}

impl ComponentInstanceState for Snapshotting<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        self.call(instance, func, |store, list: WasmList<u8>| {
            contents(list.as_le_slice(&*store))
        })
        .await
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func, |_, r| r).await
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func, |_, r| r).await
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call(instance, func, |_, r: f32| r.to_bits()).await
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call(instance, func, |_, r: f64| r.to_bits()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: the preamble alone.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn sources_attach_as_the_last_section_and_split_off_again() {
        assert_eq!(split_sources(EMPTY_COMPONENT).unwrap(), None);
        let sources = r#"{"app.py": "print('ü')"}"#;
        let with = attach_sources(EMPTY_COMPONENT, sources);
        assert_eq!(
            split_sources(&with).unwrap(),
            Some((EMPTY_COMPONENT, sources))
        );
        let mut after = with.clone();
        CustomSection {
            name: "later".into(),
            data: b"x".into(),
        }
        .append_to(&mut after);
        let err = split_sources(&after).unwrap_err().to_string();
        assert!(
            err.contains("must be the component's last section"),
            "{err}"
        );
    }
}
