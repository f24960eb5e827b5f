//! Ion Host: runs ions — functions compiled to WebAssembly components — the way Datomic
//! Cloud runs Clojure ions. The `host` binary is a thin command line over this library.
//!
//! Modules by concept: `config` (what the user wrote), `runtime` (wasmtime and every WIT
//! interface's host side), `build` (turning an app folder into a component), `cli`. The
//! database (`ion-db`) and the anomalies (`ion-anomaly`) are crates of their own, re-exported
//! here as `db` and `anomaly`: the database must stay free of wasmtime, and the compiler
//! keeps it so.

pub use ion_anomaly as anomaly;
pub use ion_db as db;

pub mod aws;
pub mod build;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod logs;
pub mod metrics;
pub mod node_db;
pub mod otlp;
pub mod params;
pub mod runtime;
pub mod serve;
pub mod store;
