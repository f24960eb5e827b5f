//! Serving a node: hyper listeners for HTTP Direct, the AWS Lambda Invoke API and the
//! admin API, in front of the app currently loaded, which can be swapped while serving
//! (calls in flight finish on the app they started on).
//!
//! Knows HTTP and the wire formats; knows nothing of wasmtime: it calls the runtime's
//! `LoadedApp` entry points and maps `IonError`s to responses.

mod admin;
mod body;
mod console;
mod deployer;
mod http_direct;
mod lambda_api;
mod listener;
mod logs;
mod sigv4;

use crate::runtime::LoadedApp;
use arc_swap::ArcSwapOption;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use deployer::{DeployError, Deployer, Loaded};
pub use http_direct::Gate;
pub use listener::HttpLimits;
pub use sigv4::{Credentials, CredentialsError};

/// Where a node listens and who may use its admin API.
#[derive(Debug, Clone, Default)]
pub struct Listeners {
    /// HTTP Direct: every request goes to the app's `:http-direct :handler-fn`.
    pub http_direct: Option<SocketAddr>,
    /// The AWS Lambda Invoke API.
    pub lambda_api: Option<SocketAddr>,
    /// The admin API (needs `admin_token`).
    pub admin: Option<SocketAddr>,
    /// The bearer token the admin API requires.
    pub admin_token: Option<String>,
    /// What every listener allows a client: head size and read timeouts.
    pub limits: HttpLimits,
    /// When set, the Lambda API requires AWS SigV4 signatures by these credentials.
    pub lambda_credentials: Option<Arc<Credentials>>,
}

/// The app a node serves now, with the HTTP Direct gate sized by its config.
pub struct Slot {
    /// The loaded app.
    pub app: LoadedApp,
    /// Bounds HTTP Direct concurrency and queueing, per `:http-direct`.
    pub gate: Option<Gate>,
    /// What is being served: a revision name, or the path of the component.
    pub revision: String,
}

impl Slot {
    /// A slot for `app`.
    pub fn new(app: LoadedApp, revision: String) -> Slot {
        let _ = app.context.revision.set(revision.clone());
        let gate = app.config().http_direct.as_ref().map(Gate::new);
        Slot {
            app,
            gate,
            revision,
        }
    }
}

/// One node: the current app (none before a compute group's first deploy), its compute
/// group, what loads revisions for the admin API's deploys, and its background work.
pub struct Node {
    slot: ArcSwapOption<Slot>,
    /// The compute group: lambdas are `{group}-{name}`.
    pub group: String,
    /// Loads revisions for deploys; `None` on a node that is not in a stored group.
    pub(crate) deployer: Option<Arc<dyn Deployer>>,
    /// One deploy step at a time on this node.
    pub(crate) deploying: tokio::sync::Mutex<()>,
    /// Asynchronous (`Event`) invocations still running.
    pub(crate) background: TaskTracker,
    /// What those invocations may hold, in bytes (`lambda_api::EVENT_QUEUE_BYTES`): an
    /// `Event` past it is refused with 429, as AWS throttles.
    pub(crate) event_queue: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the node begins to stop: long-lived responses (`/logs?follow`) end.
    pub(crate) stopping: CancellationToken,
    /// How many swaps this node has made, and how many its record in the store shows
    /// (for a node of a stored group: its heartbeat writes the record at once after a
    /// swap, and a deploy step answers once it has, so the group's view is current).
    swaps: tokio::sync::watch::Sender<u64>,
    recorded: tokio::sync::watch::Sender<u64>,
}

impl Node {
    /// A node serving `slot` in `group`.
    pub fn new(slot: Slot, group: String) -> Arc<Node> {
        Node::in_group(Some(slot), group, None)
    }

    /// A node of a stored compute group: serving `slot` if the group has a revision, and
    /// loading revisions with `deployer` when the orchestrator asks.
    pub fn in_group(
        slot: Option<Slot>,
        group: String,
        deployer: Option<Arc<dyn Deployer>>,
    ) -> Arc<Node> {
        crate::logs::set_group(&group);
        Arc::new(Node {
            slot: ArcSwapOption::new(slot.map(Arc::new)),
            group,
            deployer,
            deploying: tokio::sync::Mutex::new(()),
            background: TaskTracker::new(),
            event_queue: Arc::new(tokio::sync::Semaphore::new(lambda_api::EVENT_QUEUE_BYTES)),
            stopping: CancellationToken::new(),
            swaps: tokio::sync::watch::channel(0).0,
            recorded: tokio::sync::watch::channel(0).0,
        })
    }

    /// The span a request runs in: its listener, the node's group and id, and the
    /// revision served when it arrived. It is a DEBUG span: built (its fields formatted)
    /// only when `ION_LOG` asks for debug lines or traces are exported over OTLP, since
    /// formatting it for every request cost 3–4% of HTTP Direct's throughput. The lines
    /// logged about a call carry their request id, ion and revision as fields instead.
    pub fn request_span(&self, listener: &'static str) -> tracing::Span {
        let span = tracing::debug_span!(
            "request",
            listener,
            group = tracing::field::Empty,
            node = tracing::field::Empty,
            revision = tracing::field::Empty,
            ion = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        if !span.is_disabled() {
            let slot = self.current();
            span.record("group", self.group.as_str());
            span.record("node", crate::logs::node());
            span.record(
                "revision",
                slot.as_ref().map_or("none", |s| s.revision.as_str()),
            );
        }
        span
    }

    /// The app served now, if any.
    pub fn current(&self) -> Option<Arc<Slot>> {
        self.slot.load_full()
    }

    /// Serves `slot` from now on (nothing, for `None`); calls already running finish on
    /// the old one.
    pub fn swap(&self, slot: Option<Slot>) {
        if let Some(old) = self.slot.swap(slot.map(Arc::new)) {
            // Instances kept for reuse belong to their revision: drop them now rather
            // than when the old app's last reference goes.
            old.app.drain_instances();
        }
        self.swaps.send_modify(|n| *n += 1);
    }

    /// The swaps made so far, changing with each (what the node's record must catch up to).
    pub fn swaps(&self) -> tokio::sync::watch::Receiver<u64> {
        self.swaps.subscribe()
    }

    /// Notes that the node's record in the store now shows the slot of swap `n`.
    pub fn recorded(&self, n: u64) {
        self.recorded.send_if_modified(|r| {
            let newer = n > *r;
            if newer {
                *r = n;
            }
            newer
        });
    }

    /// Waits (up to `within`) until the node's record shows every swap made so far;
    /// whether it does.
    pub async fn until_recorded(&self, within: std::time::Duration) -> bool {
        let want = *self.swaps.borrow();
        let mut recorded = self.recorded.subscribe();
        tokio::time::timeout(within, recorded.wait_for(|r| *r >= want))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// The addresses a node actually bound (ports chosen by the OS when 0 was asked for).
#[derive(Debug, Clone, Default)]
pub struct Bound {
    /// HTTP Direct.
    pub http_direct: Option<SocketAddr>,
    /// Lambda Invoke API.
    pub lambda_api: Option<SocketAddr>,
    /// Admin API.
    pub admin: Option<SocketAddr>,
}

impl Bound {
    /// The addresses as an EDN map, the line `host serve` prints when ready.
    pub fn to_edn(&self) -> String {
        let show = |a: Option<SocketAddr>| a.map_or("nil".to_owned(), |a| format!("\"{a}\""));
        format!(
            "{{:http-direct {}, :lambda-api {}, :admin {}}}",
            show(self.http_direct),
            show(self.lambda_api),
            show(self.admin)
        )
    }
}

/// Binds every listener asked for, then serves until `shutdown` is cancelled; then stops
/// accepting, lets requests in flight and background invocations finish, and returns.
/// `ready` receives the bound addresses once every listener accepts connections.
pub async fn serve(
    node: Arc<Node>,
    listeners: Listeners,
    shutdown: CancellationToken,
    ready: impl FnOnce(&Bound),
) -> anyhow::Result<()> {
    let mut bound = Bound::default();
    let mut servers = Vec::new();
    {
        let (stopping, shutdown) = (node.stopping.clone(), shutdown.clone());
        tokio::spawn(async move {
            shutdown.cancelled().await;
            stopping.cancel();
        });
    }
    if let Some(addr) = listeners.http_direct {
        let l = listener::bind(addr, "HTTP Direct").await?;
        bound.http_direct = Some(l.local_addr()?);
        let node = node.clone();
        servers.push(listener::spawn(
            l,
            listeners.limits,
            shutdown.clone(),
            move |req, peer, local| {
                let span = node.request_span("http-direct");
                // Boxed: the request's future (the call's state included) is several KB,
                // and the span, the service and hyper's dispatcher each move it once.
                tracing::Instrument::instrument(
                    Box::pin(http_direct::handle(node.clone(), req, peer, local)),
                    span,
                )
            },
        ));
    }
    if let Some(addr) = listeners.lambda_api {
        let l = listener::bind(addr, "Lambda API").await?;
        bound.lambda_api = Some(l.local_addr()?);
        let node = node.clone();
        let credentials = listeners.lambda_credentials.clone();
        servers.push(listener::spawn(
            l,
            listeners.limits,
            shutdown.clone(),
            move |req, _peer, _local| {
                let span = node.request_span("lambda-api");
                tracing::Instrument::instrument(
                    Box::pin(lambda_api::handle(node.clone(), credentials.clone(), req)),
                    span,
                )
            },
        ));
    }
    if let Some(addr) = listeners.admin {
        let Some(token) = listeners.admin_token.clone() else {
            anyhow::bail!(
                "the admin API needs a bearer token: set ION_ADMIN_TOKEN or pass --admin-token-file"
            );
        };
        let l = listener::bind(addr, "admin API").await?;
        bound.admin = Some(l.local_addr()?);
        let node = node.clone();
        let token = Arc::new(token);
        servers.push(listener::spawn(
            l,
            listeners.limits,
            shutdown.clone(),
            move |req, _peer, _local| admin::handle(node.clone(), token.clone(), req),
        ));
    }
    ready(&bound);
    for server in servers {
        server.await?;
    }
    node.background.close();
    node.background.wait().await;
    Ok(())
}
