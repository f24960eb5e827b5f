//! A loaded app: a compiled component pre-instantiated against the node's linker, what
//! it says it exports, its `ion-config.edn` checked against that, and the typed entry
//! points callers use (lambda, web, query fn, xform).

use super::bindings::{describe, lambda, lifecycle, query_fn, tx_fn, types::FnKind, web, xform};
use super::call::{CallLog, from_guest};
use super::engine::Runtime;
use super::state::IonState;
use crate::anomaly::{Category, IonError};
use crate::config::{AppInfo, ConcurrencyLimit, EnvironmentMap, FnName, Integration, IonConfig};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use tokio::sync::Semaphore;
use wasmtime::component::{Component, InstancePre};

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
    /// Alerts cast so far.
    pub alerts: AtomicU64,
}

impl AppContext {
    /// Context for `config`'s app, in compute group `group`.
    pub fn new(
        config: &IonConfig,
        group: Option<&str>,
        env_map: EnvironmentMap,
        dev_mode: bool,
    ) -> Result<AppContext, crate::config::ConfigError> {
        Ok(AppContext {
            app_name: config.app_name.clone(),
            env_map,
            app_info: AppInfo::new(&config.app_name, group)?,
            dev_mode,
            alerts: AtomicU64::new(0),
        })
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

/// Why an app could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a valid component for this engine.
    #[error("the component does not compile: {0}")]
    Compile(String),
    /// The component imports something the host does not offer.
    #[error("the component imports what this host does not offer (a dependency conflict): {0}")]
    Imports(String),
    /// `describe` is missing or failed.
    #[error("{0}")]
    Describe(String),
    /// The app's `init` failed.
    #[error("the app's init failed: {0}")]
    Init(IonError),
    /// `ion-config.edn` names functions the component does not export as needed.
    #[error("ion-config.edn does not match the component:\n  - {}", .0.join("\n  - "))]
    Mismatch(Vec<String>),
}

#[derive(Default)]
struct Exports {
    lambda: Option<lambda::GuestIndices>,
    web: Option<web::GuestIndices>,
    _tx_fn: Option<tx_fn::GuestIndices>,
    query_fn: Option<query_fn::GuestIndices>,
    xform: Option<xform::GuestIndices>,
}

/// An app ready to take calls. Calls may run concurrently.
pub struct LoadedApp {
    pub(crate) runtime: Runtime,
    pub(crate) pre: InstancePre<IonState>,
    pub(crate) context: Arc<AppContext>,
    exports: Exports,
    config: IonConfig,
    fns: Vec<ExportedFn>,
    sdk: String,
    lambda_slots: HashMap<String, Arc<Semaphore>>,
}

/// The result of one call, with what the ion wrote while it ran.
pub struct CallResult<T> {
    /// The request id of the call.
    pub request_id: String,
    /// The ion's answer or why there is none.
    pub result: Result<T, IonError>,
    /// The ion's stdout and stderr.
    pub log: CallLog,
}

impl LoadedApp {
    /// Compiles `component` (bytes of a wasm component), links it, asks it what it exports,
    /// runs its `init`, and checks `config` against it.
    pub async fn load(
        runtime: &Runtime,
        component: Vec<u8>,
        config: IonConfig,
        context: AppContext,
    ) -> Result<LoadedApp, LoadError> {
        let engine = runtime.inner.engine.clone();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &component))
            .await
            .map_err(|e| LoadError::Compile(e.to_string()))?
            .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        let pre = runtime
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Imports(format!("{e:#}")))?;
        let describe = describe::GuestIndices::new(&pre).map_err(|_| {
            LoadError::Describe("the component does not export ion:host/describe@0.1.0; build it with an Ion SDK or export that interface".into())
        })?;
        let lifecycle = lifecycle::GuestIndices::new(&pre).ok();
        let exports = Exports {
            lambda: lambda::GuestIndices::new(&pre).ok(),
            web: web::GuestIndices::new(&pre).ok(),
            _tx_fn: tx_fn::GuestIndices::new(&pre).ok(),
            query_fn: query_fn::GuestIndices::new(&pre).ok(),
            xform: xform::GuestIndices::new(&pre).ok(),
        };
        let lambda_slots = config
            .lambdas
            .values()
            .filter_map(|l| match l.concurrency_limit {
                ConcurrencyLimit::Reserved(n) => {
                    Some((l.name.clone(), Arc::new(Semaphore::new(n as usize))))
                }
                ConcurrencyLimit::None => None,
            })
            .collect();
        let mut app = LoadedApp {
            runtime: runtime.clone(),
            pre,
            context: Arc::new(context),
            exports,
            config,
            fns: Vec::new(),
            sdk: String::new(),
            lambda_slots,
        };
        // Describe, then init, each in an instance of its own: nothing carries over.
        let (mut live, instance) = app
            .instantiate("load", "describe", DEFAULT_CALL_TIMEOUT)
            .await
            .map_err(|e| LoadError::Describe(format!("instantiating the component failed: {e}")))?;
        let description = async {
            let guest = describe.load(&mut live.store, &instance)?;
            guest.call_describe(&mut live.store).await
        }
        .await
        .map_err(|e| LoadError::Describe(format!("describe failed: {}", live.error(e))))?;
        app.sdk = description.sdk;
        app.fns = description
            .fns
            .into_iter()
            .map(|f| ExportedFn {
                name: f.name,
                kind: f.kind,
                doc: f.doc,
            })
            .collect();
        if let Some(lifecycle) = lifecycle {
            let (mut live, instance) = app
                .instantiate("load", "init", DEFAULT_CALL_TIMEOUT)
                .await
                .map_err(LoadError::Init)?;
            let outcome = async {
                let guest = lifecycle.load(&mut live.store, &instance)?;
                guest.call_init(&mut live.store).await
            }
            .await;
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(LoadError::Init(from_guest(e))),
                Err(e) => return Err(LoadError::Init(live.error(e))),
            }
        }
        let problems = app.mismatches();
        if problems.is_empty() {
            Ok(app)
        } else {
            Err(LoadError::Mismatch(problems))
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
            need(
                ":http-direct :handler-fn".into(),
                &h.handler_fn,
                &[FnKind::Web],
                self.exports.web.is_some(),
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

    /// The memory limit of each instance, in MiB.
    pub fn memory_limit_mib(&self) -> u32 {
        self.runtime.settings().memory_limit_mib
    }

    /// The shared context of the app's calls.
    pub fn context(&self) -> &AppContext {
        &self.context
    }

    /// Calls lambda `lambda_name` (a key of `:lambdas`) with JSON `input`. Refused as `busy`
    /// at once when the lambda is at its `:concurrency-limit`.
    pub async fn call_lambda(
        &self,
        lambda_name: &str,
        input: &str,
        context: lambda::Context,
    ) -> CallResult<Vec<u8>> {
        let request_id = context.aws_request_id.clone();
        let result = self.lambda_result(lambda_name, input, &context).await;
        CallResult {
            request_id,
            result: result.0,
            log: result.1,
        }
    }

    async fn lambda_result(
        &self,
        lambda_name: &str,
        input: &str,
        context: &lambda::Context,
    ) -> (Result<Vec<u8>, IonError>, CallLog) {
        let empty = || CallLog::new(0);
        let Some(l) = self.config.lambdas.get(lambda_name) else {
            return (
                Err(IonError::new(
                    Category::NotFound,
                    format!("no lambda named {lambda_name} in ion-config.edn :lambdas"),
                )),
                empty(),
            );
        };
        // The permit is taken before the first await, so concurrent calls are counted in
        // the order they are made.
        let _permit = match self
            .lambda_slots
            .get(lambda_name)
            .map(|s| s.clone().try_acquire_owned())
        {
            Some(Err(_)) => {
                let ConcurrencyLimit::Reserved(n) = l.concurrency_limit else {
                    unreachable!("slots exist only for reserved limits")
                };
                let msg = format!(
                    "lambda {lambda_name} is at its :concurrency-limit of {n} concurrent calls; retry later"
                );
                return (Err(IonError::new(Category::Busy, msg)), empty());
            }
            Some(Ok(permit)) => Some(permit),
            None => None,
        };
        if l.integration.is_some() {
            let msg = format!(
                "lambda {lambda_name} is an :api-gateway/proxy lambda; it takes API Gateway events through the Lambda API"
            );
            return (Err(IonError::new(Category::Unsupported, msg)), empty());
        }
        let Some(indices) = &self.exports.lambda else {
            return (
                Err(IonError::new(
                    Category::NotFound,
                    "the component exports no lambda ions",
                )),
                empty(),
            );
        };
        let timeout = Duration::from_secs(l.timeout_secs.into());
        let fn_name = l.fn_name.as_str();
        let (mut live, instance) = match self
            .instantiate(&context.aws_request_id, fn_name, timeout)
            .await
        {
            Ok(x) => x,
            Err(e) => return (Err(e), empty()),
        };
        let outcome = async {
            let guest = indices.load(&mut live.store, &instance)?;
            guest
                .call_handle(&mut live.store, fn_name, input, context)
                .await
        }
        .await;
        let result = match outcome {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(e)) => Err(from_guest(e)),
            Err(e) => Err(live.error(e)),
        };
        (result, live.log)
    }

    /// Calls web ion `fn_name` with `request`.
    pub async fn call_web(
        &self,
        fn_name: &FnName,
        request: web::Request,
        request_id: &str,
    ) -> CallResult<web::Response> {
        let indices = self.exports.web.as_ref();
        self.call_simple(
            request_id,
            fn_name,
            indices,
            "web ions",
            async |live, instance, indices| {
                let guest = indices.load(&mut live.store, instance)?;
                guest
                    .call_handle(&mut live.store, fn_name.as_str(), &request)
                    .await
            },
        )
        .await
    }

    /// Calls query function `fn_name` (which must be in `:allow`) with EDN `args`.
    pub async fn call_query_fn(
        &self,
        fn_name: &FnName,
        args: Vec<String>,
        request_id: &str,
    ) -> CallResult<String> {
        if !self.config.allow.contains(fn_name) {
            return refused(
                request_id,
                IonError::new(
                    Category::Forbidden,
                    format!("{fn_name} is not in ion-config.edn :allow"),
                ),
            );
        }
        let indices = self.exports.query_fn.as_ref();
        self.call_simple(
            request_id,
            fn_name,
            indices,
            "query functions",
            async |live, instance, indices| {
                let guest = indices.load(&mut live.store, instance)?;
                let args: Vec<_> = args
                    .iter()
                    .map(|a| super::bindings::db::FnArg::Value(a.clone()))
                    .collect();
                guest
                    .call_call(&mut live.store, fn_name.as_str(), &args)
                    .await
            },
        )
        .await
    }

    /// Calls xform `fn_name` (which must be in `:xforms`) with EDN `value`.
    pub async fn call_xform(
        &self,
        fn_name: &FnName,
        value: String,
        request_id: &str,
    ) -> CallResult<String> {
        if !self.config.xforms.contains(fn_name) {
            return refused(
                request_id,
                IonError::new(
                    Category::Forbidden,
                    format!("{fn_name} is not in ion-config.edn :xforms"),
                ),
            );
        }
        let indices = self.exports.xform.as_ref();
        self.call_simple(
            request_id,
            fn_name,
            indices,
            "xforms",
            async |live, instance, indices| {
                let guest = indices.load(&mut live.store, instance)?;
                guest
                    .call_call(&mut live.store, fn_name.as_str(), &value)
                    .await
            },
        )
        .await
    }

    /// The common path of calls without a concurrency limit of their own.
    async fn call_simple<I, T>(
        &self,
        request_id: &str,
        fn_name: &FnName,
        indices: Option<&I>,
        what: &str,
        call: impl AsyncFnOnce(
            &mut super::call::Live,
            &wasmtime::component::Instance,
            &I,
        ) -> wasmtime::Result<Result<T, super::bindings::types::IonError>>,
    ) -> CallResult<T> {
        let Some(indices) = indices else {
            return refused(
                request_id,
                IonError::new(
                    Category::NotFound,
                    format!("the component exports no {what}"),
                ),
            );
        };
        let (mut live, instance) = match self
            .instantiate(request_id, fn_name.as_str(), DEFAULT_CALL_TIMEOUT)
            .await
        {
            Ok(x) => x,
            Err(e) => return refused(request_id, e),
        };
        let result = match call(&mut live, &instance, indices).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(from_guest(e)),
            Err(e) => Err(live.error(e)),
        };
        CallResult {
            request_id: request_id.to_owned(),
            result,
            log: live.log,
        }
    }
}

fn refused<T>(request_id: &str, e: IonError) -> CallResult<T> {
    CallResult {
        request_id: request_id.to_owned(),
        result: Err(e),
        log: CallLog::new(0),
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
