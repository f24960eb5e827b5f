//! End-to-end tests: real wasm components built from `examples/` and `tests/guests/` in
//! this test run, driven through the real `host` binary and through the runtime library.

mod caches;
mod cli;
mod conformance;
mod console;
mod crash;
mod db;
mod deep;
mod deploy;
mod dev;
mod env;
mod fixtures;
mod hostile;
mod http_direct;
mod http_limits;
mod lambda_api;
mod logs;
mod metrics;
mod moto;
mod params;
mod postgres;
mod reuse;
mod runtime;
mod sdk;
mod server;
mod shared_db;
mod store;
mod support;
