//! The node's metrics, one registry per process, served in the Prometheus (OpenMetrics)
//! text format at the admin listener's `GET /metrics`. This module owns the metric names,
//! their labels and buckets; the code that does the work (calls, listeners, deploy
//! steps, transactions, `cast`) only reports to it. It must not hold ion data: labels are
//! app, ion, kind, category, listener, step and database names, never inputs or params.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Handles to one ion's call metrics (see `Metrics::ion`); they share the registry's
/// values.
#[derive(Clone)]
pub struct IonMetrics {
    labels: IonLabels,
    calls: Counter,
    duration: Histogram,
    memory: Histogram,
}

/// One ion of one app, by kind (`lambda`, `web`, `tx-fn`, `query-fn`, `xform`, `http`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IonLabels {
    pub app: String,
    pub ion: String,
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    app: String,
    ion: String,
    kind: String,
    category: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListenerLabels {
    listener: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DiscardLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DbLabels {
    db: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CastLabels {
    app: String,
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CastMetricLabels {
    app: String,
    name: String,
    units: String,
}

fn seconds() -> Histogram {
    // 100 µs to ~52 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 20))
}

fn bytes() -> Histogram {
    // 64 KiB to 4 GiB.
    Histogram::new(exponential_buckets(65536.0, 2.0, 17))
}

/// Every metric of the node.
pub struct Metrics {
    registry: Registry,
    calls: Family<IonLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: Family<IonLabels, Histogram>,
    timed_out: Family<IonLabels, Counter>,
    memory: Family<IonLabels, Histogram>,
    throttled: Family<ListenerLabels, Counter>,
    queue_depth: Family<ListenerLabels, Gauge>,
    instances: Gauge,
    instances_made: Counter,
    instances_reused: Counter,
    instances_discarded: Family<DiscardLabels, Counter>,
    compile_cache: Family<CacheLabels, Counter>,
    /// The database segment cache's counters (kept by `ion_db::segment`), by result.
    db_cache: Family<CacheLabels, Counter>,
    db_cache_bytes: Gauge,
    /// Serialises bringing `db_cache` up to the segment cache's own counters.
    db_cache_sync: std::sync::Mutex<()>,
    deploy_steps: Family<StepLabels, Counter>,
    deploy_step_seconds: Family<StepLabels, Histogram>,
    transactions: Family<DbLabels, Counter>,
    transact_seconds: Family<DbLabels, Histogram>,
    casts: Family<CastLabels, Counter>,
    cast_metric: Family<CastMetricLabels, Gauge<f64, AtomicU64>>,
    cast_metric_sum: Family<CastMetricLabels, Counter<f64, AtomicU64>>,
    /// The `cast/metric` label sets made so far, and how many each app has.
    cast_metric_names: std::sync::Mutex<MetricNames>,
    total_calls: AtomicU64,
}

/// Every `cast/metric` label set made, and per app how many it has and whether it was
/// warned of the cap.
#[derive(Default)]
struct MetricNames {
    seen: HashSet<CastMetricLabels>,
    per_app: HashMap<String, (usize, bool)>,
}

/// The most distinct `cast/metric` names (with units) one app may have on a node.
pub const MAX_METRIC_NAMES_PER_APP: usize = 1000;

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("ion"),
            calls: Family::default(),
            errors: Family::default(),
            duration: Family::new_with_constructor(seconds),
            timed_out: Family::default(),
            memory: Family::new_with_constructor(bytes),
            throttled: Family::default(),
            queue_depth: Family::default(),
            instances: Gauge::default(),
            instances_made: Counter::default(),
            instances_reused: Counter::default(),
            instances_discarded: Family::default(),
            compile_cache: Family::default(),
            db_cache: Family::default(),
            db_cache_bytes: Gauge::default(),
            db_cache_sync: std::sync::Mutex::new(()),
            deploy_steps: Family::default(),
            deploy_step_seconds: Family::new_with_constructor(seconds),
            transactions: Family::default(),
            transact_seconds: Family::new_with_constructor(seconds),
            casts: Family::default(),
            cast_metric: Family::default(),
            cast_metric_sum: Family::default(),
            cast_metric_names: Default::default(),
            total_calls: AtomicU64::new(0),
        };
        let r = &mut m.registry;
        r.register("calls", "Ion calls, by app, ion and kind", m.calls.clone());
        r.register(
            "call_errors",
            "Ion calls that failed, by anomaly category",
            m.errors.clone(),
        );
        r.register(
            "call_duration_seconds",
            "Time of an ion call, instantiation included",
            m.duration.clone(),
        );
        r.register(
            "calls_timed_out",
            "Ion calls stopped at their deadline",
            m.timed_out.clone(),
        );
        r.register(
            "instance_memory_bytes",
            "Largest linear memory an instance grew to during its call",
            m.memory.clone(),
        );
        r.register(
            "calls_throttled",
            "Requests refused at once because the listener's queue or a lambda's concurrency was full",
            m.throttled.clone(),
        );
        r.register(
            "queue_depth",
            "Requests waiting for a call slot",
            m.queue_depth.clone(),
        );
        r.register(
            "instances_alive",
            "Ion instances alive now",
            m.instances.clone(),
        );
        r.register(
            "instances_made",
            "Ion instances instantiated",
            m.instances_made.clone(),
        );
        r.register(
            "instances_reused",
            "Calls served by an instance kept from an earlier call (:instance-reuse)",
            m.instances_reused.clone(),
        );
        r.register(
            "instances_discarded",
            "Reusable instances dropped, by reason (trap, timeout, memory, max-count, idle, pool-full)",
            m.instances_discarded.clone(),
        );
        r.register(
            "compile_cache",
            "Compiled-code cache lookups, by hit or miss",
            m.compile_cache.clone(),
        );
        r.register(
            "db_segment_cache",
            "Database index segment reads, by result (hit, miss) and segments evicted (eviction), ION_DB_CACHE_BYTES bounds the cache",
            m.db_cache.clone(),
        );
        r.register(
            "db_segment_cache_bytes",
            "Decoded index segments the cache holds now",
            m.db_cache_bytes.clone(),
        );
        r.register(
            "deploy_steps",
            "Deploy steps taken on this node, by step and outcome",
            m.deploy_steps.clone(),
        );
        r.register(
            "deploy_step_seconds",
            "Time of a deploy step on this node",
            m.deploy_step_seconds.clone(),
        );
        r.register(
            "db_transactions",
            "Transactions, by database and outcome",
            m.transactions.clone(),
        );
        r.register(
            "db_transact_seconds",
            "Time of a transaction, durable write included",
            m.transact_seconds.clone(),
        );
        r.register("casts", "cast calls by type", m.casts.clone());
        r.register(
            "cast_metric",
            "The last value an ion reported with cast/metric",
            m.cast_metric.clone(),
        );
        r.register(
            "cast_metric_sum",
            "The sum of the values ions reported with cast/metric",
            m.cast_metric_sum.clone(),
        );
        m
    }

    /// The text exposition (OpenMetrics), as `GET /metrics` serves it.
    pub fn encode(&self) -> String {
        self.sync_db_cache();
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }

    /// Brings the segment cache's counters into the registry.
    fn sync_db_cache(&self) {
        let _one = self.db_cache_sync.lock();
        let now = ion_db::segment::cache_stats();
        for (result, n) in [
            ("hit", now.hits),
            ("miss", now.misses),
            ("eviction", now.evictions),
        ] {
            let c = self.db_cache.get_or_create(&CacheLabels {
                result: result.into(),
            });
            c.inc_by(n.saturating_sub(c.get()));
        }
        self.db_cache_bytes.set(now.bytes as i64);
    }

    /// Calls made on this node so far, every ion together.
    pub fn total_calls(&self) -> u64 {
        self.total_calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Instances alive now.
    pub fn instances_alive(&self) -> i64 {
        self.instances.get()
    }

    /// Calls so far per ion: `(app, ion, kind, calls)`, read back from the exposition.
    pub fn ion_calls(&self) -> Vec<(String, String, String, u64)> {
        let text = self.encode();
        text.lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("ion_calls_total{")?;
                let (labels, value) = rest.split_once("} ")?;
                let label = |name: &str| -> Option<String> {
                    let start = labels.find(&format!("{name}=\""))? + name.len() + 2;
                    let end = labels[start..].find('"')? + start;
                    Some(labels[start..end].to_owned())
                };
                Some((
                    label("app")?,
                    label("ion")?,
                    label("kind")?,
                    value.parse().ok()?,
                ))
            })
            .collect()
    }

    /// One finished call: counted, timed, and its error's category counted.
    pub fn call(&self, ion: &IonMetrics, took: Duration, error: Option<&str>, memory: usize) {
        ion.calls.inc();
        self.total_calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ion.duration.observe(took.as_secs_f64());
        if memory > 0 {
            ion.memory.observe(memory as f64);
        }
        if let Some(category) = error {
            let labels = &ion.labels;
            self.errors
                .get_or_create(&ErrorLabels {
                    app: labels.app.clone(),
                    ion: labels.ion.clone(),
                    kind: labels.kind.clone(),
                    category: category.to_owned(),
                })
                .inc();
            if category == "interrupted" {
                self.timed_out.get_or_create(labels).inc();
            }
        }
    }

    /// The per-call metrics of one ion, for `call`: looked up once and kept by the caller,
    /// so a call neither builds nor hashes its labels.
    pub fn ion(&self, labels: IonLabels) -> IonMetrics {
        IonMetrics {
            calls: self.calls.get_or_create(&labels).clone(),
            duration: self.duration.get_or_create(&labels).clone(),
            memory: self.memory.get_or_create(&labels).clone(),
            labels,
        }
    }

    /// The queue-depth gauge of `listener`: the caller keeps it and moves it by one as
    /// requests start and stop waiting.
    pub fn queue_gauge(&self, listener: &str) -> Gauge {
        self.queue_depth
            .get_or_create(&ListenerLabels {
                listener: listener.to_owned(),
            })
            .clone()
    }

    /// A request refused at once on `listener` (`http-direct`, `lambda-api`).
    pub fn throttled(&self, listener: &str) {
        self.throttled
            .get_or_create(&ListenerLabels {
                listener: listener.to_owned(),
            })
            .inc();
    }

    /// An instance was created (`+1`) or dropped (`-1`).
    pub fn instances(&self, delta: i64) {
        self.instances.inc_by(delta);
    }

    /// An instance was instantiated.
    pub fn instance_made(&self) {
        self.instances_made.inc();
    }

    /// A call was served by a kept instance.
    pub fn instance_reused(&self) {
        self.instances_reused.inc();
    }

    /// A reusable instance was dropped, for `reason`.
    pub fn instance_discarded(&self, reason: &'static str) {
        self.instances_discarded
            .get_or_create(&DiscardLabels {
                reason: reason.into(),
            })
            .inc();
    }

    /// A compiled-code cache lookup.
    pub fn compile_cache(&self, hit: bool) {
        self.compile_cache
            .get_or_create(&CacheLabels {
                result: if hit { "hit" } else { "miss" }.into(),
            })
            .inc();
    }

    /// A deploy step taken on this node.
    pub fn deploy_step(&self, step: &str, ok: bool, took: Duration) {
        let labels = StepLabels {
            step: step.to_owned(),
            outcome: if ok { "ok" } else { "failed" }.into(),
        };
        self.deploy_steps.get_or_create(&labels).inc();
        self.deploy_step_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// A transaction on database `db`.
    pub fn transaction(&self, db: &str, ok: bool, took: Duration) {
        let labels = DbLabels {
            db: db.to_owned(),
            outcome: if ok { "ok" } else { "failed" }.into(),
        };
        self.transactions.get_or_create(&labels).inc();
        self.transact_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// A `cast` call of `kind` (`event`, `alert`, `metric`, `dev`).
    pub fn cast(&self, app: &str, kind: &str) {
        self.casts
            .get_or_create(&CastLabels {
                app: app.to_owned(),
                r#type: kind.to_owned(),
            })
            .inc();
    }

    /// A `cast/metric` value. Every distinct name and units is a label set that stays
    /// for the process's life, so an app may have at most `MAX_METRIC_NAMES_PER_APP`:
    /// past them a new name is refused (false), with one warning per app.
    pub fn cast_metric(&self, app: &str, name: &str, units: &str, value: f64) -> bool {
        let labels = CastMetricLabels {
            app: app.to_owned(),
            name: name.to_owned(),
            units: units.to_owned(),
        };
        {
            let mut names = self.cast_metric_names.lock().expect("not poisoned");
            if !names.seen.contains(&labels) {
                let (count, warned) = names.per_app.entry(app.to_owned()).or_default();
                if *count >= MAX_METRIC_NAMES_PER_APP {
                    if !*warned {
                        *warned = true;
                        tracing::warn!(
                            app,
                            cap = MAX_METRIC_NAMES_PER_APP,
                            "an app passed the cap on distinct cast/metric names; new names are refused"
                        );
                    }
                    return false;
                }
                *count += 1;
                names.seen.insert(labels.clone());
            }
        }
        self.cast_metric.get_or_create(&labels).set(value);
        self.cast_metric_sum.get_or_create(&labels).inc_by(value);
        true
    }
}
