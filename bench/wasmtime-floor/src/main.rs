//! The floor peer of scripts/bench: the plain hyper hello server of bench/hyper-hello, which
//! also makes a fresh wasmtime instance of a component for every request and drops it,
//! without calling it. It answers 200 "Hello from hyper" once the instance is gone.
//!
//! The engine is configured as `host serve` configures its own (host/src/runtime/engine.rs:
//! pooling allocator, copy-on-write images, 16 MiB kept resident and reset through
//! PAGEMAP_SCAN, epoch interruption, async instantiation), and every store gets the WASI
//! context an ion gets. Imports that WASI and wasi:http do not provide (the `ion:host`
//! interfaces) are linked as functions that trap: they cost instantiation the same as host
//! functions and are never called. So its throughput is the most any server can get with a
//! fresh instance of that component per request, on this machine: what HTTP Direct would
//! reach if routing, the request and response maps and the ion's own code cost nothing.
//!
//! Usage: `wasmtime-floor ADDR COMPONENT.wasm`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    UpdateDeadline,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

/// What a store holds: what an ion's store holds, less the host's own bookkeeping.
struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: NoNetwork,
    table: ResourceTable,
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

/// No outgoing requests, as for ions (instances here are never called anyway).
struct NoNetwork;

impl WasiHttpHooks for NoNetwork {
    fn send_request(
        &mut self,
        _request: hyper::Request<WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

/// The host's engine settings for its default instance type (`medium`: 128 MiB memory,
/// 512 KiB wasm stack, 256 instances).
fn engine() -> wasmtime::Result<Engine> {
    let max = 256;
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.memory_init_cow(true);
    config.max_wasm_stack(512 << 10);
    config.async_stack_size((512 << 10) + (2 << 20));
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(max);
    pool.total_core_instances(max * 4);
    pool.total_memories(max * 4);
    pool.total_tables(max * 4);
    pool.total_stacks(max);
    pool.max_memory_size(128 << 20);
    pool.table_elements(100_000);
    pool.linear_memory_keep_resident(16 << 20);
    pool.table_keep_resident(128 << 10);
    pool.pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Makes a fresh instance of the component and drops it.
async fn instantiate_and_drop(pre: &InstancePre<State>) -> wasmtime::Result<()> {
    let wasi = WasiCtx::builder().build();
    let state = State {
        wasi,
        http: WasiHttpCtx::new(),
        hooks: NoNetwork,
        table: ResourceTable::new(),
    };
    let mut store = Store::new(pre.engine(), state);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(1)));
    pre.instantiate_async(&mut store).await?;
    Ok(())
}

async fn hello(
    _request: Request<Incoming>,
    pre: Arc<InstancePre<State>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match instantiate_and_drop(&pre).await {
        Ok(()) => (StatusCode::OK, Bytes::from_static(b"Hello from hyper")),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from(format!("instantiation failed: {e:#}")),
        ),
    };
    Ok(Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(body))
        .expect("valid response"))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let usage = "usage: wasmtime-floor ADDR COMPONENT.wasm (e.g. 127.0.0.1:8080 app.wasm)";
    let addr: SocketAddr = std::env::args().nth(1).ok_or(usage)?.parse()?;
    let path = std::env::args().nth(2).ok_or(usage)?;
    let engine = engine().map_err(|e| format!("creating the engine: {e:#}"))?;
    let component = Component::from_file(&engine, &path)
        .map_err(|e| format!("{path}: not a component wasmtime can compile: {e:#}"))?;
    let mut linker = Linker::<State>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)
        .map_err(|e| format!("linking WASI: {e:#}"))?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(|e| format!("linking wasi:http: {e:#}"))?;
    // Only when WASI and wasi:http do not cover the imports: defining traps for a newer
    // WASI minor version than the linker's would shadow the linker's semver match.
    let pre = match linker.instantiate_pre(&component) {
        Ok(pre) => pre,
        Err(_) => {
            linker
                .define_unknown_imports_as_traps(&component)
                .map_err(|e| format!("{path}: linking its other imports: {e:#}"))?;
            linker
                .instantiate_pre(&component)
                .map_err(|e| format!("{path}: {e:#}"))?
        }
    };
    let pre = Arc::new(pre);
    std::thread::spawn({
        let engine = engine.clone();
        move || {
            loop {
                std::thread::sleep(std::time::Duration::from_millis(10));
                engine.increment_epoch();
            }
        }
    });
    let listener = TcpListener::bind(addr).await?;
    eprintln!("wasmtime-floor: listening on http://{addr}/ (instantiating {path})");
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let pre = pre.clone();
        tokio::spawn(async move {
            let io = TokioIo::new(stream);
            if let Err(err) = http1::Builder::new()
                .serve_connection(io, service_fn(move |r| hello(r, pre.clone())))
                .await
            {
                eprintln!("wasmtime-floor: connection error: {err}");
            }
        });
    }
}
