//! Ion Host: runs ions — functions compiled to WebAssembly components — the way Datomic
//! Cloud runs Clojure ions. The `host` binary is a thin command line over this library.
//!
//! Modules by concept: `config` (what the user wrote), `runtime` (wasmtime and every WIT
//! interface's host side), `build` (turning an app folder into a component), `cli`.

pub mod anomaly;
pub mod aws;
pub mod build;
pub mod cli;
pub mod config;
pub mod db;
pub mod deploy;
pub mod logs;
pub mod metrics;
pub mod otlp;
pub mod params;
pub mod runtime;
pub mod serve;
pub mod store;
