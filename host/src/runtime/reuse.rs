//! Instance reuse, opt-in per app (`:instance-reuse`): the idle instances of one loaded
//! app (its lambdas, web ions and plain wasi:http handler), each served calls one after
//! another until it reaches `:max-count`, waits longer
//! than `:idle-timeout-ms`, or fails in a way that leaves its state suspect (a trap, a
//! timeout, the memory limit). Such an instance is discarded and the next call gets a
//! fresh one; the call in flight fails alone.
//!
//! Owns the pool and its bookkeeping only. What a call does with an instance is `entry`'s;
//! resetting an instance's per-call state (request id, deadline, output) is `call`'s.
//! The pool belongs to one `LoadedApp`, so a deploy's swap drains it: when the old app's
//! last call ends, its idle instances are dropped with it. An idle instance holds no
//! reference to its app (see `Live::end`), or the two would keep each other alive.

use super::app::LoadedApp;
use super::call::Live;
use crate::config::InstanceReuse;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;
use wasmtime::component::Instance;

/// Why an instance was dropped rather than kept for the next call: the `reason` label of
/// `ion_instances_discarded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Discard {
    /// It trapped (a panic, `unreachable`, a stack overflow, a host error).
    Trap,
    /// Its call passed its deadline.
    Timeout,
    /// It asked for more memory than the limit.
    Memory,
    /// It served `:max-count` calls.
    MaxCount,
    /// It waited longer than `:idle-timeout-ms`.
    Idle,
    /// The pool already held as many idle instances as it may.
    PoolFull,
    /// Its app was swapped out (a deploy or `host dev` reload).
    Swapped,
}

impl Discard {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Discard::Trap => "trap",
            Discard::Timeout => "timeout",
            Discard::Memory => "memory",
            Discard::MaxCount => "max-count",
            Discard::Idle => "idle",
            Discard::PoolFull => "pool-full",
            Discard::Swapped => "swapped",
        }
    }
}

/// An instance between calls.
pub(crate) struct Idle {
    pub live: Live,
    pub instance: Instance,
    /// Calls it has served.
    pub uses: u32,
    since: Instant,
}

/// The idle instances of one app.
pub(crate) struct Pool {
    pub reuse: InstanceReuse,
    idle: Mutex<Vec<Idle>>,
    /// The most idle instances kept: they hold slots of the node's pooling allocator.
    max_idle: usize,
    /// Set when the app is swapped out: nothing is kept from then on.
    drained: AtomicBool,
}

impl Pool {
    /// A pool for `reuse`, keeping at most `max_idle` instances, and (inside a tokio
    /// runtime) a task that drops instances idle past the timeout until the pool goes.
    pub fn new(reuse: InstanceReuse, max_idle: usize) -> Arc<Pool> {
        let pool = Arc::new(Pool {
            reuse,
            idle: Mutex::new(Vec::new()),
            max_idle: max_idle.max(1),
            drained: AtomicBool::new(false),
        });
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(sweep(Arc::downgrade(&pool)));
        }
        pool
    }

    /// The most recently used idle instance still within its idle timeout, if any (the
    /// warmest); older ones past it are dropped on the way.
    pub fn take(&self) -> Option<Idle> {
        let mut expired = Vec::new();
        let found = {
            let mut idle = self.lock();
            let mut found = None;
            while let Some(i) = idle.pop() {
                if i.since.elapsed() < self.reuse.idle_timeout {
                    found = Some(i);
                    break;
                }
                expired.push(i);
            }
            found
        };
        discard_all(expired, Discard::Idle);
        found
    }

    /// Keeps an instance that has just served a call, unless it has served its
    /// `:max-count` or the pool is full.
    pub fn give_back(&self, live: Live, instance: Instance, uses: u32) {
        if uses >= self.reuse.max_count {
            return discard(live, Discard::MaxCount);
        }
        let refused = {
            let mut idle = self.lock();
            if self.drained.load(Ordering::Acquire) {
                return discard(live, Discard::Swapped);
            } else if idle.len() >= self.max_idle {
                Some(live)
            } else {
                idle.push(Idle {
                    live,
                    instance,
                    uses,
                    since: Instant::now(),
                });
                None
            }
        };
        if let Some(live) = refused {
            discard(live, Discard::PoolFull);
        }
    }

    /// Drops every idle instance and keeps none from now on.
    fn drain(&self) {
        let all = {
            let mut idle = self.lock();
            self.drained.store(true, Ordering::Release);
            std::mem::take(&mut *idle)
        };
        discard_all(all, Discard::Swapped);
    }

    /// Drops the instances idle past the timeout.
    fn sweep(&self) {
        let expired: Vec<Idle> = {
            let mut idle = self.lock();
            let (keep, expired) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|i| i.since.elapsed() < self.reuse.idle_timeout);
            *idle = keep;
            expired
        };
        discard_all(expired, Discard::Idle);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One instance kept for the function calls of one database operation: a query calls
/// its ion query functions and predicates (once per row) in one instance, made on the
/// first call and dropped with the operation, instead of a fresh instance per row. A
/// call that traps, times out or passes the memory limit discards it, and the next call
/// gets a fresh one.
#[derive(Default)]
pub struct Session {
    kept: Mutex<Option<Idle>>,
}

impl Session {
    /// A session with no instance yet.
    pub fn new() -> Session {
        Session::default()
    }

    pub(crate) fn take(&self) -> Option<Idle> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    pub(crate) fn keep(&self, live: Live, instance: Instance, uses: u32) {
        let old = self
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(Idle {
                live,
                instance,
                uses,
                since: Instant::now(),
            });
        drop(old);
    }
}

/// Where a call's instance may come from, and go back to after it.
#[derive(Clone, Copy)]
pub(crate) enum Keep<'k> {
    /// The app's idle instances (`:instance-reuse`).
    Pool(&'k Pool),
    /// One database operation's instance.
    Session(&'k Session),
}

impl Keep<'_> {
    /// An instance kept from an earlier call, if there is one.
    pub fn take(self) -> Option<Idle> {
        match self {
            Keep::Pool(p) => p.take(),
            Keep::Session(s) => s.take(),
        }
    }

    /// Ends a call that ran in `live` (its `uses`-th): keeps the instance, or discards it
    /// when the call `failed` in a way that leaves its state suspect.
    pub fn finish(self, mut live: Live, instance: Instance, uses: u32, failed: Option<Discard>) {
        if let Some(why) = failed {
            return discard(live, why);
        }
        live.end();
        match self {
            Keep::Pool(p) => p.give_back(live, instance, uses),
            Keep::Session(s) => s.keep(live, instance, uses),
        }
    }
}

/// Drops `live` (outside any lock: dropping a store resets its slot) and counts why.
pub(crate) fn discard(live: Live, why: Discard) {
    crate::metrics::metrics().instance_discarded(why.label());
    drop(live);
}

fn discard_all(instances: Vec<Idle>, why: Discard) {
    for i in instances {
        discard(i.live, why);
    }
}

/// Sweeps `pool` every half idle timeout while it exists.
async fn sweep(pool: Weak<Pool>) {
    let every = match pool.upgrade() {
        Some(p) => (p.reuse.idle_timeout / 2).max(std::time::Duration::from_millis(10)),
        None => return,
    };
    loop {
        tokio::time::sleep(every).await;
        match pool.upgrade() {
            Some(p) => p.sweep(),
            None => return,
        }
    }
}

impl LoadedApp {
    /// The instance a call of `fn_name` runs in, and the calls it has served before: one
    /// `keep` kept, readied for this call, or else a fresh one.
    pub(crate) async fn instance_for(
        &self,
        keep: Option<Keep<'_>>,
        request_id: &str,
        fn_name: &str,
        timeout: std::time::Duration,
    ) -> Result<(Live, Instance, u32), crate::anomaly::IonError> {
        match keep.and_then(Keep::take) {
            Some(mut idle) => {
                idle.live.begin(self, request_id, fn_name, timeout);
                crate::metrics::metrics().instance_reused();
                Ok((idle.live, idle.instance, idle.uses))
            }
            None => {
                let (live, instance) = self.instantiate(request_id, fn_name, timeout).await?;
                Ok((live, instance, 0))
            }
        }
    }

    /// How many instances this app keeps idle for reuse now (0 without `:instance-reuse`).
    pub fn idle_instances(&self) -> usize {
        self.reuse.as_ref().map_or(0, |p| p.lock().len())
    }

    /// Drops this app's idle instances and stops keeping any: called when a node swaps
    /// the app out, so no instance outlives its revision's turn. Calls still running
    /// finish, and their instances are dropped after them.
    pub fn drain_instances(&self) {
        if let Some(pool) = &self.reuse {
            pool.drain();
        }
    }
}
