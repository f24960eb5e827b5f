//! The wasm runtime: one wasmtime engine per node, components loaded as apps, and a fresh
//! instance for every call (or, for apps with `:instance-reuse`, a kept one: `reuse`),
//! bounded by time (epoch deadlines), memory (a resource limiter) and concurrency (a
//! semaphore per lambda).
//!
//! Owns every WIT interface's host side (`host_*` modules, one per interface, each seeing
//! only the state it needs). Must not know about HTTP, storage or the command line: callers
//! hand it a component and typed inputs and get typed outputs or an `IonError` back.

mod app;
pub mod bindings;
mod call;
mod call_kind;
pub mod compiled;
pub mod db_fns;
mod disk_cache;
mod engine;
mod entry;
mod function_cache;
mod guests;
mod host_cast;
mod host_db;
mod host_env;
mod metric_handles;
pub mod preinit;
mod reuse;
mod state;
mod wasi_http;

pub use app::{AppContext, DEFAULT_CALL_TIMEOUT, ExportedFn, LoadError, LoadedApp, kind_name};
pub use app::{DEFAULT_PARAMS_PREFIX, Placement};
pub use bindings::lambda::Context as LambdaContext;
pub use bindings::types::FnKind;
pub use bindings::web::{Request as WebRequest, Response as WebResponse};
pub use call::CallLog;
pub use engine::Runtime;
pub use entry::{CallResult, LambdaPermit, function_arn};
pub use host_db::{ConnectionHandle, DatabaseHandle};
pub use reuse::Session;
pub use wasi_http::WASI_HTTP_HANDLER;
