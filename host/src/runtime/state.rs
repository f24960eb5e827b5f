//! The store data of one ion instance: WASI context, resource table, memory limiter, the
//! app context shared by every call, and what identifies this call.

use super::app::AppContext;
use super::call::CallLog;
use std::sync::Arc;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Everything an instance's host functions may touch.
pub struct IonState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) app: Arc<AppContext>,
    pub(crate) call: CallInfo,
}

/// What identifies one call in logs.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// The request id returned to the caller.
    pub request_id: String,
    /// The ion function called, e.g. `ion.starter/echo`.
    pub fn_name: String,
}

impl IonState {
    /// State for one call: no environment variables, arguments, files or sockets; stdout
    /// and stderr go to `log`.
    pub fn new(
        app: Arc<AppContext>,
        call: CallInfo,
        log: &CallLog,
        memory_limit: usize,
    ) -> IonState {
        let wasi = WasiCtx::builder()
            .stdout(log.clone())
            .stderr(log.clone())
            .build();
        IonState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                limit: memory_limit,
                exceeded: None,
            },
            app,
            call,
        }
    }
}

impl WasiView for IonState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Refuses memory growth past the instance limit and remembers that it did, so the call
/// fails with "memory limit exceeded" rather than a bare trap.
pub struct MemoryLimiter {
    limit: usize,
    /// The size a refused growth asked for, once one was refused.
    pub exceeded: Option<usize>,
}

impl MemoryLimiter {
    /// The limit in MiB.
    pub fn limit_mib(&self) -> usize {
        self.limit >> 20
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = Some(desired);
            wasmtime::bail!(
                "memory limit of {} MiB exceeded (asked for {} MiB)",
                self.limit >> 20,
                desired >> 20
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}
