//! The node's one wasmtime `Engine`: pooling allocator, copy-on-write memory images,
//! epoch interruption driven by a ticker thread, and the linker every app shares.

use super::bindings::IonApp;
use super::state::IonState;
use crate::config::InstanceSettings;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::Result;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::error::Context as _;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: the resolution of deadlines, and how often a running ion
/// yields its thread to other calls.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// How much of each memory stays resident between calls, reset in place: only the pages a
/// call dirtied are restored (copied back from the image) and stay resident, so a warm
/// slot costs what its ions touch, up to this. Pages beyond it are decommitted after every
/// call, which costs page faults on the next and, when other threads run, a TLB shootdown
/// across cores. Measured on the Python starter (a 30 MiB heap): 2 MiB gives 289 req/s,
/// 16 MiB 678, 64 MiB ~800; a memory hog's slot keeps up to this much resident after it
/// (tests/e2e/hostile.rs bounds the total), so 16 MiB is the trade.
const KEEP_RESIDENT: usize = 16 << 20;

/// Native stack a call's host imports may use, on top of the ion's own wasm stack. Host
/// imports run on the call's fiber, below whatever wasm stack the ion has used, so the
/// fiber is the wasm limit plus this: an ion at its stack limit still leaves the host as
/// much as a tokio worker thread has. The deepest host walk (a value nested
/// `ion_edn::MAX_DEPTH` levels, through q, transact or pull) is tried at the limit in
/// tests/e2e/deep.rs.
const HOST_STACK: usize = 2 << 20;

/// How much of each table stays resident between calls.
const TABLE_KEEP_RESIDENT: usize = 128 << 10;

/// The runtime of one node. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub engine: Engine,
    pub linker: Linker<IonState>,
    pub settings: InstanceSettings,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// Creates the engine and linker for instances limited by `settings`.
    pub fn new(settings: InstanceSettings) -> Result<Runtime> {
        let engine =
            Engine::new(&engine_config(&settings)).context("creating the wasmtime engine")?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).context("linking WASI")?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .context("linking wasi:http")?;
        IonApp::add_to_linker::<IonState, HasSelf<IonState>>(&mut linker, |s| s)
            .context("linking ion:host")?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), ticker_stop.clone())?;
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                settings,
                ticker_stop,
            }),
        })
    }

    /// The limits instances run under.
    pub fn settings(&self) -> &InstanceSettings {
        &self.inner.settings
    }
}

fn engine_config(settings: &InstanceSettings) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.memory_init_cow(true);
    // `ION_PERF_MAP=1`: name ions' functions for `perf` (writes /tmp/perf-PID.map).
    if std::env::var_os("ION_PERF_MAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    // Revisions of one app share most functions (all of an interpreted runtime's): reuse
    // their machine code across compiles.
    if let Err(e) =
        config.enable_incremental_compilation(Arc::new(super::function_cache::FunctionCache::new()))
    {
        tracing::warn!("compiling without the function cache: {e:#}");
    }
    config.max_wasm_stack(settings.stack_limit_kib as usize * 1024);
    config.async_stack_size(settings.stack_limit_kib as usize * 1024 + HOST_STACK);
    let max = settings.max_instances;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(max);
    // A component built by a language runtime holds several core instances, memories and
    // tables; four of each per component covers Rust, Python and JavaScript ions.
    pool.total_core_instances(max * 4);
    pool.total_memories(max * 4);
    pool.total_tables(max * 4);
    pool.total_stacks(max);
    pool.max_memory_size(settings.memory_limit_bytes());
    pool.table_elements(settings.table_elements_limit as usize);
    // Resetting a slot with madvise costs page faults and TLB shootdowns on the next
    // call; measured, that was most of a hello request's time. Keep memory resident and
    // reset only the pages a call dirtied (found with PAGEMAP_SCAN where the kernel has it).
    pool.linear_memory_keep_resident(KEEP_RESIDENT);
    pool.table_keep_resident(TABLE_KEEP_RESIDENT);
    pool.pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

/// Advances the engine's epoch every tick until the runtime is dropped.
fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) -> Result<()> {
    std::thread::Builder::new()
        .name("ion-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .context("starting the epoch ticker thread")?;
    Ok(())
}
