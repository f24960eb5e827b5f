//! A loaded app: a compiled component pre-instantiated against the node's linker, what
//! it says it exports, its `ion-config.edn` checked against that, and the typed entry
//! points callers use (lambda, web, query fn, xform).

use super::bindings::{
    describe, lambda, lifecycle, query_fn, query_fn_batch, tx_fn, types::FnKind, web, xform,
};
use super::call::from_guest;
use super::engine::Runtime;
use super::metric_handles::MetricHandles;
use super::state::IonState;
use super::wasi_http::WASI_HTTP_HANDLER;
use crate::anomaly::IonError;
use crate::config::{AppInfo, ConcurrencyLimit, EnvironmentMap, FnName, Integration, IonConfig};
use crate::metrics::IonMetrics;
use crate::params::CachedParams;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use tokio::sync::Semaphore;
use wasmtime::component::{Component, InstancePre};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

/// The Parameter Store prefix Datomic nodes read, so existing parameter trees work as they are.
pub const DEFAULT_PARAMS_PREFIX: &str = "datomic-shared";

/// How long a web ion, query fn or xform may run: these have no `:timeout-secs` of their own.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// What every call of an app shares: who it is and where it runs.
pub struct AppContext {
    /// `:app-name`.
    pub app_name: String,
    /// What `get-env` returns.
    pub env_map: EnvironmentMap,
    /// What `get-app-info` returns.
    pub app_info: AppInfo,
    /// True under `host dev`: `cast/dev` records are kept.
    pub dev_mode: bool,
    /// Where `get-params` reads.
    pub params: Option<Arc<CachedParams>>,
    /// The node's databases, for `db/connect`; `None` answers `unavailable`.
    pub databases: Option<Arc<crate::db::Databases>>,
    /// Alerts cast so far.
    pub alerts: AtomicU64,
    /// The revision name (or component path) the app is served as, once it serves.
    pub revision: std::sync::OnceLock<String>,
}

impl AppContext {
    /// Context for `config`'s app, placed as `placement` says.
    pub fn new(
        config: &IonConfig,
        placement: Placement,
    ) -> Result<AppContext, crate::config::ConfigError> {
        Ok(AppContext {
            app_name: config.app_name.clone(),
            app_info: AppInfo::new(
                &config.app_name,
                placement.group.as_deref(),
                &placement.params_prefix,
            )?,
            env_map: placement.env_map,
            dev_mode: placement.dev_mode,
            params: placement.params,
            databases: placement.databases,
            alerts: AtomicU64::new(0),
            revision: std::sync::OnceLock::new(),
        })
    }
}

/// Where an app runs: its compute group, environment map, parameters and mode.
pub struct Placement {
    /// The compute group, when known.
    pub group: Option<String>,
    /// What `get-env` returns.
    pub env_map: EnvironmentMap,
    /// True under `host dev` and `host invoke`: `cast/dev` records are kept.
    pub dev_mode: bool,
    /// Where `get-params` reads; `None` answers `unavailable`.
    pub params: Option<Arc<CachedParams>>,
    /// The first segment of the app's parameter paths (default `datomic-shared`).
    pub params_prefix: String,
    /// The node's databases.
    pub databases: Option<Arc<crate::db::Databases>>,
}

impl Placement {
    /// A placement in `group` with `env_map` and no parameters, not in dev mode.
    pub fn new(group: Option<&str>, env_map: EnvironmentMap) -> Placement {
        Placement {
            group: group.map(str::to_owned),
            env_map,
            dev_mode: false,
            params: None,
            params_prefix: DEFAULT_PARAMS_PREFIX.to_owned(),
            databases: None,
        }
    }
}

/// One function the component exports, as its `describe` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFn {
    /// The fully qualified name.
    pub name: String,
    /// Its kind.
    pub kind: FnKind,
    /// Its one-line description.
    pub doc: Option<String>,
}

/// Why an app could not be loaded. Each variant keeps the error it comes from; the text
/// is what `host serve`, `host dev` and a refused deploy step show (unchanged from when
/// the variants held strings).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// An interpreted app's sources did not load into its runtime.
    #[error("{0:#}")]
    Preinit(#[source] anyhow::Error),
    /// The compile task stopped before it finished (it panicked).
    #[error("the component does not compile: {0}")]
    CompileTask(#[source] tokio::task::JoinError),
    /// The bytes are not a valid component for this engine.
    #[error("the component does not compile: {0:#}")]
    Compile(#[source] anyhow::Error),
    /// The component imports something the host does not offer.
    #[error("the component imports what this host does not offer (a dependency conflict): {0:#}")]
    Imports(#[source] wasmtime::Error),
    /// The component exports neither `describe` nor a wasi:http handler.
    #[error(
        "the component exports neither ion:host/describe@0.1.0 (build it with an Ion SDK) nor wasi:http/incoming-handler"
    )]
    NoDescribe,
    /// The instance that would answer `describe` did not start.
    #[error("instantiating the component failed: {0}")]
    Instantiate(#[source] IonError),
    /// `describe` failed.
    #[error("describe failed: {0}")]
    Describe(#[source] IonError),
    /// The app's `init` failed.
    #[error("the app's init failed: {0}")]
    Init(#[source] IonError),
    /// `:instance-reuse :max-concurrent` asks for more than one call at a time per
    /// instance, which the component's synchronous exports cannot take.
    #[error(
        "ion-config.edn :instance-reuse :max-concurrent is {0}, but this component's exports take one call at a time (ion:host exports are synchronous): concurrent reuse needs async exports, which this host does not serve yet. Set :max-concurrent 1, or cap it on the node with --max-instance-concurrent-reuse-count 1"
    )]
    ConcurrentReuse(u32),
    /// `ion-config.edn` names functions the component does not export as needed.
    #[error("ion-config.edn does not match the component:\n  - {}", .0.join("\n  - "))]
    Mismatch(Vec<String>),
}

/// The export interfaces the component has; each is optional.
#[derive(Default)]
pub(crate) struct Exports {
    pub lambda: Option<lambda::GuestIndices>,
    pub web: Option<web::GuestIndices>,
    pub _tx_fn: Option<tx_fn::GuestIndices>,
    pub query_fn: Option<query_fn::GuestIndices>,
    /// Absent in components built before the SDKs exported it: they are called per row.
    pub query_fn_batch: Option<query_fn_batch::GuestIndices>,
    pub xform: Option<xform::GuestIndices>,
}

/// A lambda's concurrency: its `:concurrency-limit` (if reserved) and its calls running now.
pub(crate) struct LambdaSlots {
    pub limit: Option<Arc<Semaphore>>,
    pub in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// An app ready to take calls. Calls may run concurrently. Cloning is one reference
/// count: each call's state holds a clone, so the database can call the app's
/// transaction functions, predicates and xforms from inside an ion's call.
#[derive(Clone)]
pub struct LoadedApp {
    parts: Arc<AppParts>,
}

impl std::ops::Deref for LoadedApp {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.parts
    }
}

/// What a loaded app is made of, shared by its clones.
#[derive(Clone)]
pub struct AppParts {
    pub(crate) runtime: Runtime,
    pub(crate) pre: InstancePre<IonState>,
    pub(crate) context: Arc<AppContext>,
    pub(crate) exports: Arc<Exports>,
    pub(crate) config: Arc<IonConfig>,
    fns: Arc<Vec<ExportedFn>>,
    sdk: Arc<str>,
    pub(crate) lambda_slots: Arc<HashMap<String, LambdaSlots>>,
    /// Each called ion's metric handles (see `ion_metrics`).
    metric_handles: Arc<MetricHandles>,
    /// True for a plain wasi:http/proxy component (no `describe`).
    pub(crate) proxy: bool,
    /// The idle instances kept for reuse, when `:instance-reuse` (as the node caps it)
    /// asks for reuse.
    pub(crate) reuse: Option<Arc<super::reuse::Pool>>,
}

impl LoadedApp {
    /// The metric handles of ion `ion` called as `kind`, made on its first call.
    pub(crate) fn ion_metrics(
        &self,
        ion: &str,
        kind: super::call_kind::CallKind,
    ) -> Cow<'_, IonMetrics> {
        self.metric_handles.get(ion, kind)
    }

    /// Compiles `component` (bytes of a wasm component), links it, asks it what it exports,
    /// runs its `init`, and checks `config` against it.
    pub async fn load(
        runtime: &Runtime,
        component: Vec<u8>,
        config: IonConfig,
        context: AppContext,
    ) -> Result<LoadedApp, LoadError> {
        let component = Self::compile(runtime, component).await?;
        Self::load_compiled(runtime, &component, config, context).await
    }

    /// Compiles a component's bytes, or loads the code compiled for them before.
    /// A component carrying an interpreted app's sources is pre-initialised with them first.
    pub async fn compile(runtime: &Runtime, component: Vec<u8>) -> Result<Component, LoadError> {
        let component = super::preinit::prepare(runtime, component)
            .await
            .map_err(LoadError::Preinit)?;
        let engine = runtime.inner.engine.clone();
        tokio::task::spawn_blocking(move || super::compiled::compile(&engine, &component))
            .await
            .map_err(LoadError::CompileTask)?
            .map_err(LoadError::Compile)
    }

    /// Links a compiled component, asks it what it exports, runs its `init`, and checks
    /// `config` against it.
    pub async fn load_compiled(
        runtime: &Runtime,
        component: &Component,
        config: IonConfig,
        context: AppContext,
    ) -> Result<LoadedApp, LoadError> {
        let pre = runtime
            .inner
            .linker
            .instantiate_pre(component)
            .map_err(LoadError::Imports)?;
        let describe = describe::GuestIndices::new(&pre).ok();
        let proxy = describe.is_none() && ProxyPre::new(pre.clone()).is_ok();
        if describe.is_none() && !proxy {
            return Err(LoadError::NoDescribe);
        }
        let lifecycle = lifecycle::GuestIndices::new(&pre).ok();
        let exports = Exports {
            lambda: lambda::GuestIndices::new(&pre).ok(),
            web: web::GuestIndices::new(&pre).ok(),
            _tx_fn: tx_fn::GuestIndices::new(&pre).ok(),
            query_fn: query_fn::GuestIndices::new(&pre).ok(),
            query_fn_batch: query_fn_batch::GuestIndices::new(&pre).ok(),
            xform: xform::GuestIndices::new(&pre).ok(),
        };
        let lambda_slots = config
            .lambdas
            .values()
            .map(|l| {
                let limit = match l.concurrency_limit {
                    ConcurrencyLimit::Reserved(n) => Some(Arc::new(Semaphore::new(n as usize))),
                    ConcurrencyLimit::None => None,
                };
                (
                    l.name.clone(),
                    LambdaSlots {
                        limit,
                        in_flight: Arc::default(),
                    },
                )
            })
            .collect();
        let reuse = match config.instance_reuse {
            None => None,
            Some(asked) => match asked.capped(&runtime.settings().reuse_cap) {
                Some(r) if r.max_concurrent > 1 => {
                    return Err(LoadError::ConcurrentReuse(r.max_concurrent));
                }
                Some(r) => Some(super::reuse::Pool::new(
                    r,
                    runtime.settings().max_instances as usize / 2,
                )),
                None => None,
            },
        };
        let mut parts = AppParts {
            runtime: runtime.clone(),
            pre,
            context: Arc::new(context),
            exports: Arc::new(exports),
            config: Arc::new(config),
            fns: Arc::default(),
            sdk: Arc::from(""),
            lambda_slots: Arc::new(lambda_slots),
            metric_handles: Arc::default(),
            proxy,
            reuse,
        };
        // `describe` runs in an instance of an app that does not know its functions
        // yet; the app that takes calls is made from it with what it said.
        match describe {
            Some(describe) => {
                let probe = LoadedApp {
                    parts: Arc::new(parts.clone()),
                };
                let (sdk, fns) = probe.describe(describe).await?;
                parts.sdk = sdk;
                parts.fns = Arc::new(fns);
            }
            None => {
                parts.sdk = "wasi:http/proxy".into();
                parts.fns = Arc::new(vec![ExportedFn {
                    name: WASI_HTTP_HANDLER.into(),
                    kind: FnKind::Web,
                    doc: Some("a plain wasi:http/proxy component".into()),
                }]);
            }
        }
        parts.metric_handles = Arc::new(MetricHandles::new(
            &parts.context.app_name,
            parts.fns.iter().map(|f| f.name.as_str()),
        ));
        let app = LoadedApp {
            parts: Arc::new(parts),
        };
        if let Some(lifecycle) = lifecycle {
            app.init(lifecycle).await?;
        }
        let problems = app.mismatches();
        if problems.is_empty() {
            Ok(app)
        } else {
            Err(LoadError::Mismatch(problems))
        }
    }

    /// Asks the component what it exports (its SDK and functions), in an instance of its
    /// own: nothing carries over to the calls.
    async fn describe(
        &self,
        describe: describe::GuestIndices,
    ) -> Result<(Arc<str>, Vec<ExportedFn>), LoadError> {
        let (mut live, instance) = self
            .instantiate("load", "describe", DEFAULT_CALL_TIMEOUT)
            .await
            .map_err(LoadError::Instantiate)?;
        let description = async {
            let guest = describe.load(&mut live.store, &instance)?;
            guest.call_describe(&mut live.store).await
        }
        .await
        .map_err(|e| LoadError::Describe(live.error(e)))?;
        let fns = description
            .fns
            .into_iter()
            .map(|f| ExportedFn {
                name: f.name,
                kind: f.kind,
                doc: f.doc,
            })
            .collect();
        Ok((description.sdk.into(), fns))
    }

    /// Runs the component's `init` in an instance of its own.
    async fn init(&self, lifecycle: lifecycle::GuestIndices) -> Result<(), LoadError> {
        let (mut live, instance) = self
            .instantiate("load", "init", DEFAULT_CALL_TIMEOUT)
            .await
            .map_err(LoadError::Init)?;
        let outcome = async {
            let guest = lifecycle.load(&mut live.store, &instance)?;
            guest.call_init(&mut live.store).await
        }
        .await;
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(LoadError::Init(from_guest(e))),
            Err(e) => Err(LoadError::Init(live.error(e))),
        }
    }

    /// Every way `ion-config.edn` asks for something the component does not export.
    fn mismatches(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut need = |path: String, name: &FnName, kinds: &[FnKind], exported: bool| {
            let wanted = kinds
                .iter()
                .map(|k| kind_name(*k))
                .collect::<Vec<_>>()
                .join(" or ");
            match self.fns.iter().find(|f| f.name == name.as_str()) {
                None => problems.push(format!("{path} names {name}, which the component does not export (it exports {})", self.export_list())),
                Some(f) if !kinds.contains(&f.kind) => {
                    problems.push(format!("{path} names {name}, a {}; expected a {wanted}", kind_name(f.kind)))
                }
                Some(_) if !exported => problems.push(format!(
                    "{path} names {name}, a {wanted} by describe, but the component does not export the {wanted} interface"
                )),
                Some(_) => {}
            }
        };
        for l in self.config.lambdas.values() {
            let path = format!(":lambdas :{} :fn", l.name);
            match l.integration {
                Some(Integration::ApiGatewayProxy) => {
                    need(path, &l.fn_name, &[FnKind::Web], self.exports.web.is_some())
                }
                None => need(
                    path,
                    &l.fn_name,
                    &[FnKind::Lambda],
                    self.exports.lambda.is_some(),
                ),
            }
        }
        if let Some(h) = &self.config.http_direct {
            let exported = self.exports.web.is_some()
                || (self.proxy && h.handler_fn.as_str() == WASI_HTTP_HANDLER);
            need(
                ":http-direct :handler-fn".into(),
                &h.handler_fn,
                &[FnKind::Web],
                exported,
            );
        }
        for name in &self.config.allow {
            // Transaction functions are checked against their export when the database lands.
            need(
                format!(":allow {name}"),
                name,
                &[FnKind::TxFn, FnKind::QueryFn],
                true,
            );
        }
        for name in &self.config.xforms {
            need(
                format!(":xforms {name}"),
                name,
                &[FnKind::Xform],
                self.exports.xform.is_some(),
            );
        }
        problems
    }

    fn export_list(&self) -> String {
        if self.fns.is_empty() {
            return "nothing".into();
        }
        self.fns
            .iter()
            .map(|f| format!("{} ({})", f.name, kind_name(f.kind)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The app's validated configuration.
    pub fn config(&self) -> &IonConfig {
        &self.config
    }

    /// What the component exports.
    pub fn exported_fns(&self) -> &[ExportedFn] {
        &self.fns
    }

    /// The SDK that built the component, as it says.
    pub fn sdk(&self) -> &str {
        &self.sdk
    }

    /// Calls of lambda `name` running now.
    pub fn lambda_in_flight(&self, name: &str) -> usize {
        self.lambda_slots.get(name).map_or(0, |s| {
            s.in_flight.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// The memory limit of each instance, in MiB.
    pub fn memory_limit_mib(&self) -> u32 {
        self.runtime.settings().memory_limit_mib
    }

    /// The shared context of the app's calls.
    pub fn context(&self) -> &AppContext {
        &self.context
    }
}

/// The kind's name as `ion-config.edn` users say it.
pub fn kind_name(kind: FnKind) -> &'static str {
    match kind {
        FnKind::Lambda => "lambda",
        FnKind::Web => "web ion",
        FnKind::TxFn => "transaction function",
        FnKind::QueryFn => "query function",
        FnKind::Xform => "xform",
    }
}
