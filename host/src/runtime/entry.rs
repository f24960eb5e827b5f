//! The typed entry points of a loaded app: lambdas (with their concurrency permits and
//! API Gateway proxy integration), web ions, query functions and xforms.

use super::app::{DEFAULT_CALL_TIMEOUT, LoadedApp};
use super::bindings::{lambda, web};
use super::call::{CallLog, Live, from_guest};
use super::call_kind::CallKind;
use super::reuse::{Keep, Session};
use crate::anomaly::{Category, IonError};
use crate::config::{ConcurrencyLimit, FnName, Integration, LambdaConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::component::Instance;

/// The result of one call, with what the ion wrote while it ran.
pub struct CallResult<T> {
    /// The request id of the call.
    pub request_id: String,
    /// The ion's answer or why there is none.
    pub result: Result<T, IonError>,
    /// The ion's stdout and stderr.
    pub log: CallLog,
}

/// The right to run one call of a lambda, within its `:concurrency-limit`.
pub struct LambdaPermit {
    lambda: LambdaConfig,
    _slot: Option<OwnedSemaphorePermit>,
    in_flight: Arc<AtomicUsize>,
}

impl Drop for LambdaPermit {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LoadedApp {
    /// Takes a permit for lambda `name` at once: `not-found` when there is no such lambda,
    /// `busy` when it is at its `:concurrency-limit` (the caller is throttled).
    pub fn try_acquire_lambda(&self, name: &str) -> Result<LambdaPermit, IonError> {
        let lambda = self.lambda_config(name)?;
        let slots = &self.lambda_slots[name];
        let slot = match &slots.limit {
            None => None,
            Some(s) => Some(s.clone().try_acquire_owned().map_err(|_| {
                let ConcurrencyLimit::Reserved(n) = lambda.concurrency_limit else {
                    unreachable!("slots exist only for reserved limits")
                };
                IonError::new(
                    Category::Busy,
                    format!("lambda {name} is at its :concurrency-limit of {n} concurrent calls; retry later"),
                )
            })?),
        };
        Ok(self.permit(lambda, slot))
    }

    fn permit(&self, lambda: LambdaConfig, slot: Option<OwnedSemaphorePermit>) -> LambdaPermit {
        let in_flight = self.lambda_slots[&lambda.name].in_flight.clone();
        in_flight.fetch_add(1, Ordering::Relaxed);
        LambdaPermit {
            lambda,
            _slot: slot,
            in_flight,
        }
    }

    /// Waits for a permit for lambda `name` (for asynchronous invocations, which queue
    /// rather than fail when the lambda is busy).
    pub async fn acquire_lambda(&self, name: &str) -> Result<LambdaPermit, IonError> {
        let lambda = self.lambda_config(name)?;
        let slot = match &self.lambda_slots[name].limit {
            None => None,
            Some(s) => Some(
                s.clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| IonError::new(Category::Unavailable, "the app is unloading"))?,
            ),
        };
        Ok(self.permit(lambda, slot))
    }

    fn lambda_config(&self, name: &str) -> Result<LambdaConfig, IonError> {
        self.config.lambdas.get(name).cloned().ok_or_else(|| {
            IonError::new(
                Category::NotFound,
                format!("no lambda named {name} in ion-config.edn :lambdas"),
            )
        })
    }

    /// The Lambda context of a new call of `lambda` in compute group `group`.
    pub fn lambda_context(
        &self,
        group: &str,
        lambda: &LambdaConfig,
        request_id: &str,
        client_context: Option<String>,
    ) -> lambda::Context {
        let function_name = format!("{group}-{}", lambda.name);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        lambda::Context {
            aws_request_id: request_id.to_owned(),
            invoked_function_arn: function_arn(&function_name),
            log_group_name: format!("/aws/lambda/{function_name}"),
            log_stream_name: format!("{group}/[$LATEST]{}", self.context.app_name),
            function_name,
            function_version: "$LATEST".into(),
            memory_limit_in_mb: self.memory_limit_mib(),
            deadline_ms: (now + Duration::from_secs(lambda.timeout_secs.into())).as_millis() as u64,
            identity: None,
            client_context,
        }
    }

    /// Calls lambda `lambda_name` with JSON `input`; refused as `busy` at once when the
    /// lambda is at its `:concurrency-limit`.
    pub async fn call_lambda(
        &self,
        lambda_name: &str,
        input: &str,
        context: lambda::Context,
    ) -> CallResult<Vec<u8>> {
        // The permit is taken before the first await, so concurrent calls are counted in
        // the order they are made.
        match self.try_acquire_lambda(lambda_name) {
            Ok(permit) => self.call_lambda_with(permit, input, context).await,
            Err(e) => refused(&context.aws_request_id, e),
        }
    }

    /// Calls the lambda `permit` was taken for. A lambda with `:integration
    /// :api-gateway/proxy` takes an API Gateway proxy event, calls its web ion, and answers
    /// the proxy response JSON.
    pub async fn call_lambda_with(
        &self,
        permit: LambdaPermit,
        input: &str,
        context: lambda::Context,
    ) -> CallResult<Vec<u8>> {
        let l = &permit.lambda;
        let timeout = Duration::from_secs(l.timeout_secs.into());
        let request_id = context.aws_request_id.clone();
        match l.integration {
            Some(Integration::ApiGatewayProxy) => {
                self.call_proxy(l, input, &request_id, timeout).await
            }
            None => {
                let fn_name = l.fn_name.as_str();
                let indices = self.exports.lambda.as_ref();
                self.run(
                    &request_id,
                    &l.fn_name,
                    timeout,
                    indices,
                    CallKind::Lambda,
                    None,
                    async |live, instance, indices| {
                        let guest = live.guest(indices, instance)?;
                        guest
                            .call_handle(&mut live.store, fn_name, input, &context)
                            .await
                    },
                )
                .await
            }
        }
    }

    async fn call_proxy(
        &self,
        l: &LambdaConfig,
        event: &str,
        request_id: &str,
        timeout: Duration,
    ) -> CallResult<Vec<u8>> {
        let parsed = match ion_apigw::parse_event(event) {
            Ok(p) => p,
            Err(e) => {
                return refused(
                    request_id,
                    IonError::new(Category::Incorrect, format!("lambda {}: {e}", l.name)),
                );
            }
        };
        let version = parsed.version;
        let request = web::Request {
            request_method: parsed.method,
            uri: parsed.path,
            query_string: parsed.query_string,
            headers: parsed.headers,
            body: parsed.body,
            protocol: parsed.protocol,
            remote_addr: parsed.remote_addr,
            scheme: parsed.scheme,
            server_name: parsed.server_name,
            server_port: parsed.server_port,
            api_gateway_json: Some(parsed.json),
            api_gateway_data: Some(parsed.data),
        };
        let call = self
            .call_web_within(&l.fn_name, request, request_id, timeout)
            .await;
        let result = call.result.map(|r| {
            let response = ion_apigw::GatewayResponse {
                status: r.status,
                headers: r.headers,
                body: r.body,
            };
            ion_apigw::response_json(version, &response).into_bytes()
        });
        CallResult {
            request_id: call.request_id,
            result,
            log: call.log,
        }
    }

    /// Calls web ion `fn_name` with `request`.
    pub async fn call_web(
        &self,
        fn_name: &FnName,
        request: web::Request,
        request_id: &str,
    ) -> CallResult<web::Response> {
        self.call_web_within(fn_name, request, request_id, DEFAULT_CALL_TIMEOUT)
            .await
    }

    async fn call_web_within(
        &self,
        fn_name: &FnName,
        request: web::Request,
        request_id: &str,
        timeout: Duration,
    ) -> CallResult<web::Response> {
        let indices = self.exports.web.as_ref();
        self.run(
            request_id,
            fn_name,
            timeout,
            indices,
            CallKind::Web,
            None,
            async |live, instance, indices| {
                let guest = live.guest(indices, instance)?;
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
        self.call_query_fn_with_db(fn_name, None, args, request_id)
            .await
    }

    /// Calls transaction function `fn_name` (which must be in `:allow`) with database
    /// value `db` (lent read-only for the call) and EDN `args`; returns its tx-data.
    pub async fn call_tx_fn(
        &self,
        fn_name: &FnName,
        db: crate::db::Db,
        args: Vec<String>,
        request_id: &str,
    ) -> CallResult<String> {
        if let Err(e) = listed(
            self.config.allow.contains(fn_name),
            fn_name,
            "transaction function ",
            "allow",
        ) {
            return refused(request_id, e);
        }
        let indices = self.exports._tx_fn.as_ref();
        self.run(
            request_id,
            fn_name,
            DEFAULT_CALL_TIMEOUT,
            indices,
            CallKind::TxFn,
            None,
            async |live, instance, indices| {
                let guest = live.guest(indices, instance)?;
                let handle = live
                    .store
                    .data_mut()
                    .table
                    .push(super::host_db::DatabaseHandle(db))?;
                let borrowed = wasmtime::component::Resource::new_borrow(handle.rep());
                let out = guest
                    .call_call(&mut live.store, fn_name.as_str(), borrowed, &args)
                    .await;
                live.store.data_mut().table.delete(handle)?;
                out
            },
        )
        .await
    }

    /// Calls query function `fn_name` (in `:allow`) with EDN `args`, after a database
    /// value when `db` is given (as entity predicates and `$` arguments are called).
    pub async fn call_query_fn_with_db(
        &self,
        fn_name: &FnName,
        db: Option<crate::db::Db>,
        args: Vec<String>,
        request_id: &str,
    ) -> CallResult<String> {
        self.call_query_fn_in(None, fn_name, db, args, request_id)
            .await
    }

    /// `call_query_fn_with_db` in `session`'s instance, when given: the calls of one
    /// database operation share one instance (see `reuse::Session`).
    pub async fn call_query_fn_in(
        &self,
        session: Option<&Session>,
        fn_name: &FnName,
        db: Option<crate::db::Db>,
        args: Vec<String>,
        request_id: &str,
    ) -> CallResult<String> {
        if let Err(e) = listed(self.config.allow.contains(fn_name), fn_name, "", "allow") {
            return refused(request_id, e);
        }
        let indices = self.exports.query_fn.as_ref();
        self.run(
            request_id,
            fn_name,
            DEFAULT_CALL_TIMEOUT,
            indices,
            CallKind::QueryFn,
            session,
            async |live, instance, indices| {
                let guest = live.guest(indices, instance)?;
                let mut all = Vec::with_capacity(args.len() + 1);
                if let Some(db) = db {
                    let handle = live
                        .store
                        .data_mut()
                        .table
                        .push(super::host_db::DatabaseHandle(db))?;
                    all.push(super::bindings::db::FnArg::Db(handle));
                }
                all.extend(
                    args.iter()
                        .map(|a| super::bindings::db::FnArg::Value(a.clone())),
                );
                guest
                    .call_call(&mut live.store, fn_name.as_str(), &all)
                    .await
            },
        )
        .await
    }

    /// Whether the component takes a batch of rows per query-function call
    /// (`query-fn-batch`; components built before it did not).
    pub fn has_query_fn_batch(&self) -> bool {
        self.exports.query_fn_batch.is_some()
    }

    /// Calls query function `fn_name` (in `:allow`) once per row of EDN `rows`, in one
    /// call of the component, in `session`'s instance when given: one result per row.
    pub async fn call_query_fn_batch(
        &self,
        session: Option<&Session>,
        fn_name: &FnName,
        rows: Vec<Vec<String>>,
        request_id: &str,
    ) -> CallResult<Vec<String>> {
        if let Err(e) = listed(self.config.allow.contains(fn_name), fn_name, "", "allow") {
            return refused(request_id, e);
        }
        let indices = self.exports.query_fn_batch.as_ref();
        let n = rows.len();
        let done = self
            .run(
                request_id,
                fn_name,
                DEFAULT_CALL_TIMEOUT,
                indices,
                CallKind::QueryFn,
                session,
                async |live, instance, indices| {
                    let guest = live.guest(indices, instance)?;
                    guest
                        .call_call_batch(&mut live.store, fn_name.as_str(), &rows)
                        .await
                },
            )
            .await;
        let result = match done.result {
            Ok(out) if out.len() != n => Err(IonError::new(
                Category::Fault,
                format!(
                    "{fn_name} answered {} values for a batch of {n} rows",
                    out.len()
                ),
            )),
            other => other,
        };
        CallResult { result, ..done }
    }

    /// Calls xform `fn_name` (which must be in `:xforms`) with EDN `value`.
    pub async fn call_xform(
        &self,
        fn_name: &FnName,
        value: String,
        request_id: &str,
    ) -> CallResult<String> {
        if let Err(e) = listed(self.config.xforms.contains(fn_name), fn_name, "", "xforms") {
            return refused(request_id, e);
        }
        let indices = self.exports.xform.as_ref();
        self.run(
            request_id,
            fn_name,
            DEFAULT_CALL_TIMEOUT,
            indices,
            CallKind::Xform,
            None,
            async |live, instance, indices| {
                let guest = live.guest(indices, instance)?;
                guest
                    .call_call(&mut live.store, fn_name.as_str(), &value)
                    .await
            },
        )
        .await
    }

    /// One call in a fresh instance: instantiate, run `call`, and turn every failure into
    /// an `IonError` naming the ion.
    #[allow(clippy::too_many_arguments)]
    async fn run<I, T>(
        &self,
        request_id: &str,
        fn_name: &FnName,
        timeout: Duration,
        indices: Option<&I>,
        kind: CallKind,
        session: Option<&Session>,
        call: impl AsyncFnOnce(
            &mut Live,
            &Instance,
            &I,
        ) -> wasmtime::Result<Result<T, super::bindings::types::IonError>>,
    ) -> CallResult<T> {
        // One span per call, a DEBUG span like the request's (see `Node::request_span`):
        // the lines logged about a call carry its request id and ion as fields.
        let span = tracing::debug_span!(
            "call",
            request_id,
            app = %self.context.app_name,
            ion = %fn_name,
            kind = kind.label()
        );
        let started = std::time::Instant::now();
        let (done, memory) = tracing::Instrument::instrument(
            self.run_unmeasured(request_id, fn_name, timeout, indices, kind, session, call),
            span,
        )
        .await;
        crate::metrics::metrics().call(
            &self.ion_metrics(fn_name.as_str(), kind),
            started.elapsed(),
            done.result.as_ref().err().map(|e| e.category.name()),
            memory,
        );
        done
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_unmeasured<I, T>(
        &self,
        request_id: &str,
        fn_name: &FnName,
        timeout: Duration,
        indices: Option<&I>,
        kind: CallKind,
        session: Option<&Session>,
        call: impl AsyncFnOnce(
            &mut Live,
            &Instance,
            &I,
        ) -> wasmtime::Result<Result<T, super::bindings::types::IonError>>,
    ) -> (CallResult<T>, usize) {
        let Some(indices) = indices else {
            let e = IonError::new(
                Category::NotFound,
                format!("the component exports no {}", kind.exports()),
            );
            return (refused(request_id, e), 0);
        };
        // Lambdas and web ions of an app with :instance-reuse take an idle instance when
        // there is one, and a database operation's function calls its session's;
        // everything else gets a fresh instance.
        let keep = match session {
            Some(s) => Some(Keep::Session(s)),
            None => self
                .reuse
                .as_deref()
                .filter(|_| matches!(kind, CallKind::Lambda | CallKind::Web))
                .map(Keep::Pool),
        };
        let (mut live, instance, uses) = match self
            .instance_for(keep, request_id, fn_name.as_str(), timeout)
            .await
        {
            Ok(x) => x,
            Err(e) => return (refused(request_id, e), 0),
        };
        let (result, failed) = match call(&mut live, &instance, indices).await {
            Ok(Ok(v)) => (Ok(v), None),
            // An error the ion returned leaves it sound: it may serve again.
            Ok(Err(e)) => (Err(from_guest(e)), None),
            Err(e) => {
                let (e, why) = live.failure(e);
                (Err(e), Some(why))
            }
        };
        let memory = live.store.data().limiter.peak;
        let log = match keep {
            // A kept instance's log lives on: the call takes what it wrote.
            Some(keep) => {
                let log = live.log.detach();
                keep.finish(live, instance, uses + 1, failed);
                log
            }
            None => live.log,
        };
        let done = CallResult {
            request_id: request_id.to_owned(),
            result,
            log,
        };
        (done, memory)
    }
}

/// The ARN a node gives lambda `function_name` (`{group}-{name}`): the region is `local`
/// and the account all zeros, as nodes are not AWS.
pub fn function_arn(function_name: &str) -> String {
    format!("arn:aws:lambda:local:000000000000:function:{function_name}")
}

/// `forbidden` unless `fn_name` is `listed` in ion-config.edn under `key`; `what` comes
/// before the name in the message.
fn listed(listed: bool, fn_name: &FnName, what: &str, key: &str) -> Result<(), IonError> {
    if listed {
        return Ok(());
    }
    Err(IonError::new(
        Category::Forbidden,
        format!("{what}{fn_name} is not in ion-config.edn :{key}"),
    ))
}

fn refused<T>(request_id: &str, e: IonError) -> CallResult<T> {
    CallResult {
        request_id: request_id.to_owned(),
        result: Err(e),
        log: CallLog::new(0),
    }
}
