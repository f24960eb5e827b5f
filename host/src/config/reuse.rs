//! Instance reuse: `:instance-reuse` in `ion-config.edn` (what the app asks for) and the
//! node's caps on it (`--max-instance-reuse-count`, `--max-instance-concurrent-reuse-count`,
//! `--idle-instance-timeout`, the flags `wasmtime serve` and Spin use). Parsing and the
//! arithmetic of caps only; the pool itself is `runtime::reuse`.

use super::read::{Reader, join};
use ion_edn::Edn;
use std::time::Duration;

const KEYS: &[&str] = &["max-count", "max-concurrent", "idle-timeout-ms"];

/// `:max-count` when the app leaves it out: calls one instance serves before it is
/// dropped (the count `scripts/bench` gives `wasmtime serve`).
pub const DEFAULT_MAX_COUNT: u32 = 128;
/// `:idle-timeout-ms` when the app leaves it out.
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 10_000;

/// How instances of an app are reused across calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceReuse {
    /// `:max-count`: the most calls one instance serves, one after another (default
    /// 128). 1 means a fresh instance per call.
    pub max_count: u32,
    /// `:max-concurrent`: the most calls one instance serves at once (default 1).
    pub max_concurrent: u32,
    /// `:idle-timeout-ms`: how long an instance waits for its next call before it is
    /// dropped (default 10,000).
    pub idle_timeout: Duration,
}

impl InstanceReuse {
    /// The reuse left once the node's `cap` applies (each limit the smaller of the two),
    /// or `None` when that leaves one call per instance.
    pub fn capped(self, cap: &ReuseCap) -> Option<InstanceReuse> {
        let r = InstanceReuse {
            max_count: self.max_count.min(cap.max_count),
            max_concurrent: self.max_concurrent.min(cap.max_concurrent),
            idle_timeout: self.idle_timeout.min(cap.idle_timeout),
        };
        (r.max_count > 1 && !r.idle_timeout.is_zero()).then_some(r)
    }
}

/// The node's caps on what apps ask for; unset flags do not cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReuseCap {
    /// `--max-instance-reuse-count`.
    pub max_count: u32,
    /// `--max-instance-concurrent-reuse-count`.
    pub max_concurrent: u32,
    /// `--idle-instance-timeout`.
    pub idle_timeout: Duration,
}

impl Default for ReuseCap {
    fn default() -> Self {
        ReuseCap {
            max_count: u32::MAX,
            max_concurrent: u32::MAX,
            idle_timeout: Duration::MAX,
        }
    }
}

/// Reads `:instance-reuse`, recording a problem for every bad key.
pub(crate) fn read(r: &mut Reader, v: &Edn<'static>) -> Option<InstanceReuse> {
    let path = ":instance-reuse";
    let entries = r.map(path, v, KEYS)?;
    let before = r.problems.len();
    let mut reuse = InstanceReuse {
        max_count: DEFAULT_MAX_COUNT,
        max_concurrent: 1,
        idle_timeout: Duration::from_millis(DEFAULT_IDLE_TIMEOUT_MS),
    };
    for (key, value) in entries {
        let at = join(path, &format!(":{key}"));
        let positive = |r: &mut Reader| {
            r.int_in(&at, value, 1, i64::from(u32::MAX), "a positive integer")
                .unwrap_or(0)
        };
        match key {
            "max-count" => reuse.max_count = positive(r) as u32,
            "max-concurrent" => reuse.max_concurrent = positive(r) as u32,
            "idle-timeout-ms" => {
                let ms = r
                    .int_in(
                        &at,
                        value,
                        1,
                        3_600_000,
                        "a number of milliseconds from 1 to 3600000 (one hour)",
                    )
                    .unwrap_or(0);
                reuse.idle_timeout = Duration::from_millis(ms as u64);
            }
            _ => unreachable!("Reader::map admits only KEYS"),
        }
    }
    (r.problems.len() == before).then_some(reuse)
}
