//! End-to-end tests: real wasm components built from `examples/` and `tests/guests/` in
//! this test run, driven through the real `host` binary and through the runtime library.

mod cli;
mod console;
mod db;
mod deploy;
mod dev;
mod env;
mod fixtures;
mod http_direct;
mod lambda_api;
mod logs;
mod metrics;
mod moto;
mod params;
mod runtime;
mod server;
mod store;
mod support;
