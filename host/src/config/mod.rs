//! Configuration an ion runs under: `ion-config.edn` (the app), the environment map and app
//! info (the compute group), and instance settings (limits per instance).
//!
//! Parsing and validation only. This module knows nothing of wasmtime, HTTP or storage;
//! every error names the file, the key path, the value found and what was expected.

mod environment;
mod error;
mod instance;
mod ion_config;
mod read;
mod reuse;

pub use environment::{AppInfo, EnvironmentMap};
pub use error::{ConfigError, Problem};
pub use instance::{DEFAULT_INSTANCE_TYPE, INSTANCE_TYPES, InstanceSettings};
pub use ion_config::{
    ConcurrencyLimit, FnName, HttpDirectConfig, Integration, IonConfig, LambdaConfig,
    MAX_LAMBDA_NAME_LEN, is_plain_name,
};
pub use reuse::{DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_COUNT, InstanceReuse, ReuseCap};

#[cfg(test)]
mod tests;
