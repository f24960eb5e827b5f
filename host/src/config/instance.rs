//! Instance settings: the limits every ion instance on a node runs under, and the
//! instance types that name sets of them. The wasm counterpart of the reference's
//! per-instance-type JVM settings (heap `-Xmx` becomes the linear-memory limit, `-Xss`
//! the wasm stack limit).

/// Limits applied to each ion instance on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// Largest linear memory one instance may grow to, in MiB (default 128).
    pub memory_limit_mib: u32,
    /// Largest wasm stack one call may use, in KiB (default 512).
    pub stack_limit_kib: u32,
    /// Most instances alive at once on the node (default 256): the pooling allocator's size.
    pub max_instances: u32,
    /// Largest table (function references) one instance may have, in elements (default 100 000).
    pub table_elements_limit: u32,
    /// Most bytes an ion may write to stdout and stderr in one call before output is cut
    /// (default 1 MiB).
    pub output_limit_bytes: usize,
    /// The node's caps on the instance reuse apps ask for (`host serve` flags; none by
    /// default).
    pub reuse_cap: super::ReuseCap,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings::of_type(DEFAULT_INSTANCE_TYPE).expect("the default type exists")
    }
}

/// The instance type a compute group gets when none is named.
pub const DEFAULT_INSTANCE_TYPE: &str = "medium";

/// Instance types: name, memory per instance (MiB), wasm stack (KiB), instances per node.
pub const INSTANCE_TYPES: &[(&str, u32, u32, u32)] = &[
    ("small", 64, 256, 64),
    ("medium", 128, 512, 256),
    ("large", 256, 1024, 512),
    ("xlarge", 512, 1024, 1024),
];

impl InstanceSettings {
    /// The settings of instance type `name`, if there is one.
    pub fn of_type(name: &str) -> Option<InstanceSettings> {
        INSTANCE_TYPES
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|&(_, memory, stack, instances)| InstanceSettings {
                memory_limit_mib: memory,
                stack_limit_kib: stack,
                max_instances: instances,
                table_elements_limit: 100_000,
                output_limit_bytes: 1 << 20,
                reuse_cap: super::ReuseCap::default(),
            })
    }

    /// The names of the instance types, for messages.
    pub fn type_names() -> String {
        INSTANCE_TYPES
            .iter()
            .map(|(n, ..)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The memory limit in bytes.
    pub fn memory_limit_bytes(&self) -> usize {
        self.memory_limit_mib as usize * 1024 * 1024
    }
}
