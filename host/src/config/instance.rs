//! Instance settings: the limits every ion instance on a node runs under. The wasm
//! counterpart of the reference's per-instance-type JVM settings.

/// Limits applied to each ion instance on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// Largest linear memory one instance may grow to, in MiB (default 128).
    pub memory_limit_mib: u32,
    /// Most instances alive at once on the node (default 256): the pooling allocator's size.
    pub max_instances: u32,
    /// Largest table (function references) one instance may have, in elements (default 100 000).
    pub table_elements_limit: u32,
    /// Most bytes an ion may write to stdout and stderr in one call before output is cut
    /// (default 1 MiB).
    pub output_limit_bytes: usize,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            memory_limit_mib: 128,
            max_instances: 256,
            table_elements_limit: 100_000,
            output_limit_bytes: 1 << 20,
        }
    }
}

impl InstanceSettings {
    /// The memory limit in bytes.
    pub fn memory_limit_bytes(&self) -> usize {
        self.memory_limit_mib as usize * 1024 * 1024
    }
}
