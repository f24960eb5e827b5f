//! The store data of one ion instance: WASI context, resource table, memory limiter, the
//! app context shared by every call, and what identifies this call.

use super::app::AppContext;
use super::call::CallLog;
use std::future::Future;
use std::sync::Arc;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

/// Everything an instance's host functions may touch.
pub struct IonState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    http_hooks: DenyOutgoing,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) app: Arc<AppContext>,
    pub(crate) call: CallInfo,
    /// The app this call belongs to, for the database's calls of its functions.
    pub(crate) app_calls: Option<super::LoadedApp>,
    /// Casts this call has made, for the per-call cap in `host_cast`.
    pub(crate) casts: u32,
    _alive: Alive,
}

/// Counts the instance in `instances_alive` while its store lives.
struct Alive;

impl Alive {
    fn new() -> Alive {
        crate::metrics::metrics().instances(1);
        Alive
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        crate::metrics::metrics().instances(-1);
    }
}

/// What identifies one call in logs.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// The request id returned to the caller.
    pub request_id: String,
    /// The ion function called, e.g. `ion.starter/echo`.
    pub fn_name: String,
    /// When the call must end, and its limit (the ion's `:timeout-secs`): host imports
    /// that run long, like `q`, stop in time for the ion to answer.
    pub deadline: Option<(std::time::Instant, std::time::Duration)>,
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
            http: WasiHttpCtx::new(),
            http_hooks: DenyOutgoing,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                limit: memory_limit,
                exceeded: None,
                peak: 0,
            },
            app,
            call,
            app_calls: None,
            casts: 0,
            _alive: Alive::new(),
        }
    }
}

impl WasiHttpView for IonState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.http_hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

/// The future a `send_request` hook answers with.
type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    hyper::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

/// Ions get no network: a wasi:http component's outgoing requests are denied.
pub struct DenyOutgoing;

impl WasiHttpHooks for DenyOutgoing {
    fn send_request(
        &mut self,
        request: hyper::Request<WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        tracing::warn!(uri = %request.uri(), "an ion's outgoing HTTP request was denied: ions have no network");
        Box::new(async { Err(HttpError::HttpRequestDenied) })
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
    /// The largest size a memory grew to.
    pub peak: usize,
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
        self.peak = self.peak.max(desired);
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
