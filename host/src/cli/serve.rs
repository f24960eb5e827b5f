//! `host serve`: run a node serving one app over HTTP Direct, the Lambda Invoke API and
//! the admin API until SIGTERM or SIGINT, then shut down gracefully.

use super::Failure;
use super::app::{AppArgs, load, tokio_runtime};
use crate::config::InstanceSettings;
use crate::runtime::Runtime;
use crate::serve::{Credentials, HttpLimits, Listeners, Node, Slot};
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Default HTTP Direct address when no listener is named.
pub const DEFAULT_HTTP: &str = "127.0.0.1:8080";
/// Default Lambda API address when no listener is named.
pub const DEFAULT_LAMBDA_API: &str = "127.0.0.1:9001";

/// Arguments of `host serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub app: AppArgs,
    #[command(flatten)]
    pub listen: ListenArgs,
    #[command(flatten)]
    pub reuse: ReuseArgs,
}

/// The node's caps on the instance reuse apps ask for in `:instance-reuse` (the flags
/// `wasmtime serve` and Spin use). They never turn reuse on: an app without
/// `:instance-reuse` gets a fresh instance per call.
#[derive(Args, Debug, Clone, Default)]
pub struct ReuseArgs {
    /// The most calls one instance serves (1 turns reuse off) [default: the app's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_instance_reuse_count: Option<u32>,
    /// The most calls one instance serves at once [default: the app's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_instance_concurrent_reuse_count: Option<u32>,
    /// How long an idle instance is kept, e.g. `500ms` or `10s` [default: the app's].
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub idle_instance_timeout: Option<Duration>,
}

impl ReuseArgs {
    /// Instance settings with these caps.
    pub fn settings(&self, mut settings: InstanceSettings) -> InstanceSettings {
        let cap = &mut settings.reuse_cap;
        if let Some(n) = self.max_instance_reuse_count {
            cap.max_count = n;
        }
        if let Some(n) = self.max_instance_concurrent_reuse_count {
            cap.max_concurrent = n;
        }
        if let Some(d) = self.idle_instance_timeout {
            cap.idle_timeout = d;
        }
        settings
    }
}

/// Where to listen. With none of the three given, HTTP Direct listens on 127.0.0.1:8080
/// (when the app has :http-direct) and the Lambda API on 127.0.0.1:9001 (when it has
/// :lambdas); given any, only those given listen.
#[derive(Args, Debug, Clone)]
pub struct ListenArgs {
    /// HTTP Direct address (requests go to :http-direct :handler-fn).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// AWS Lambda Invoke API address.
    #[arg(long, value_name = "ADDR")]
    pub lambda_api: Option<SocketAddr>,
    /// Admin API address; needs a token from ION_ADMIN_TOKEN or --admin-token-file.
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
    /// A file holding the admin API's bearer token.
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    /// Require AWS SigV4 signatures on the Lambda API by the keys in this file (lines
    /// `ACCESS_KEY_ID SECRET_ACCESS_KEY`); ION_LAMBDA_CREDENTIALS may hold the same text.
    #[arg(long, value_name = "PATH")]
    pub lambda_credentials: Option<PathBuf>,
    /// Seconds a client has to send a request's head [default: 10].
    #[arg(long, value_name = "SECONDS")]
    pub header_read_timeout: Option<u64>,
    /// Seconds a request body may send nothing before the request is refused [default: 30].
    #[arg(long, value_name = "SECONDS")]
    pub body_idle_timeout: Option<u64>,
    /// The largest request head (request line and headers), in bytes [default: 32768].
    #[arg(long, value_name = "BYTES")]
    pub max_header_bytes: Option<usize>,
}

impl ListenArgs {
    /// The listeners for an app with (or without) :http-direct and :lambdas.
    pub fn listeners(
        &self,
        has_http_direct: bool,
        has_lambdas: bool,
    ) -> Result<Listeners, Failure> {
        let token = match (&self.admin_token_file, std::env::var("ION_ADMIN_TOKEN")) {
            (Some(path), _) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| {
                        Failure::Setup(format!(
                            "{}: cannot read the admin token ({e})",
                            path.display()
                        ))
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, Ok(t)) => Some(t),
            (None, Err(_)) => None,
        };
        if token.as_deref() == Some("") {
            return Err(Failure::Setup("the admin token is empty".into()));
        }
        if self.admin.is_some() && token.is_none() {
            return Err(Failure::Setup(
                "--admin needs a bearer token: set ION_ADMIN_TOKEN or pass --admin-token-file"
                    .into(),
            ));
        }
        if self.http.is_some() && !has_http_direct {
            return Err(Failure::Setup(
                "--http: the app's ion-config.edn has no :http-direct".into(),
            ));
        }
        let none_named = self.http.is_none() && self.lambda_api.is_none() && self.admin.is_none();
        let default = |on: bool, addr: &str| {
            (none_named && on).then(|| addr.parse().expect("default addresses parse"))
        };
        Ok(Listeners {
            http_direct: self.http.or_else(|| default(has_http_direct, DEFAULT_HTTP)),
            lambda_api: self
                .lambda_api
                .or_else(|| default(has_lambdas, DEFAULT_LAMBDA_API)),
            admin: self.admin,
            admin_token: token,
            limits: self.limits()?,
            lambda_credentials: self.lambda_credentials()?.map(Arc::new),
        })
    }

    /// The HTTP limits asked for, the defaults for the rest.
    fn limits(&self) -> Result<HttpLimits, Failure> {
        let mut limits = HttpLimits::default();
        let seconds = |flag: &str, v: Option<u64>, default: Duration| match v {
            None => Ok(default),
            Some(0) => Err(Failure::Setup(format!(
                "{flag} is 0; expected a number of seconds of at least 1"
            ))),
            Some(s) => Ok(Duration::from_secs(s)),
        };
        limits.header_read_timeout = seconds(
            "--header-read-timeout",
            self.header_read_timeout,
            limits.header_read_timeout,
        )?;
        limits.body_idle_timeout = seconds(
            "--body-idle-timeout",
            self.body_idle_timeout,
            limits.body_idle_timeout,
        )?;
        match self.max_header_bytes {
            Some(n) if n < HttpLimits::MIN_HEADER_BYTES => {
                return Err(Failure::Setup(format!(
                    "--max-header-bytes is {n}; expected at least {}",
                    HttpLimits::MIN_HEADER_BYTES
                )));
            }
            Some(n) => limits.max_header_bytes = n,
            None => {}
        }
        Ok(limits)
    }

    /// The Lambda API's SigV4 credentials, from --lambda-credentials or
    /// ION_LAMBDA_CREDENTIALS; none means requests are not checked.
    fn lambda_credentials(&self) -> Result<Option<Credentials>, Failure> {
        let (text, source) = match (
            &self.lambda_credentials,
            std::env::var("ION_LAMBDA_CREDENTIALS"),
        ) {
            (Some(path), _) => (
                std::fs::read_to_string(path).map_err(|e| {
                    Failure::Setup(format!(
                        "{}: cannot read the Lambda API credentials ({e})",
                        path.display()
                    ))
                })?,
                path.display().to_string(),
            ),
            (None, Ok(text)) => (text, "ION_LAMBDA_CREDENTIALS".to_owned()),
            (None, Err(_)) => return Ok(None),
        };
        Credentials::parse(&text, &source)
            .map(Some)
            .map_err(super::app::setup_error)
    }
}

pub(crate) fn run(args: ServeArgs) -> Result<(), Failure> {
    if args.app.is_group_node() {
        return super::node::run(args);
    }
    let revision = |prepared: &super::app::Prepared| prepared.component.display().to_string();
    start(&args, false, revision, |node, listeners, _runtime| {
        run_node(node, listeners)
    })
}

/// Prepares the app and the listeners, then, inside a tokio runtime, loads the app into a
/// node (its first revision named by `revision`) and runs `serve` with it.
pub(crate) fn start<F, Fut>(
    args: &ServeArgs,
    dev_mode: bool,
    revision: impl FnOnce(&super::app::Prepared) -> String,
    serve: F,
) -> Result<(), Failure>
where
    F: FnOnce(Arc<Node>, Listeners, Runtime) -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let prepared = args.app.prepare()?;
    let listeners = args.listen.listeners(
        prepared.config.http_direct.is_some(),
        !prepared.config.lambdas.is_empty(),
    )?;
    let group = prepared.group.clone();
    let revision = revision(&prepared);
    tokio_runtime()?.block_on(async {
        let settings = args.reuse.settings(InstanceSettings::default());
        let rt = Runtime::new(settings).map_err(|e| Failure::Setup(format!("{e:#}")))?;
        let app = load(&rt, prepared, dev_mode).await?;
        let node = Node::new(Slot::new(app, revision), group);
        serve(node, listeners, rt).await
    })
}

/// Serves `node` until a signal, printing the bound addresses as an EDN map on stdout
/// once every listener is ready.
pub(crate) async fn run_node(
    node: std::sync::Arc<Node>,
    listeners: Listeners,
) -> Result<(), Failure> {
    let shutdown = CancellationToken::new();
    spawn_signal_watch(shutdown.clone());
    crate::serve::serve(node, listeners, shutdown, |bound| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", bound.to_edn()).and_then(|()| out.flush());
        tracing::info!(addresses = %bound.to_edn(), "serving");
    })
    .await
    .map_err(|e| Failure::Setup(format!("{e:#}")))?;
    tracing::info!("stopped");
    Ok(())
}

pub(crate) fn spawn_signal_watch(shutdown: CancellationToken) {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::error!("cannot watch SIGTERM/SIGINT; stop the node with SIGKILL");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: finishing calls in flight"),
            _ = int.recv() => tracing::info!("SIGINT: finishing calls in flight"),
        }
        shutdown.cancel();
    });
}
