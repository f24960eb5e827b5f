//! The `host` command line: parses arguments, runs one subcommand, and maps the outcome
//! to an exit code (0 success, 1 the ion failed, 2 bad usage, configuration or build).
//! Subcommands are thin: each calls the library and prints what it returns.

mod app;
mod db;
mod dev;
mod group;
mod invoke;
mod logs;
mod node;
mod params;
mod serve;
mod store;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs ions — functions compiled to WebAssembly components — as lambdas, web handlers
/// and database functions.
#[derive(Parser, Debug)]
#[command(name = "host", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Export each request's and call's span to this OTLP/HTTP collector (JSON, to
    /// URL/v1/traces); else OTEL_EXPORTER_OTLP_ENDPOINT, when set.
    #[arg(long, global = true, value_name = "URL")]
    otlp_endpoint: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build an app folder into its wasm component (target/ion/app.wasm).
    Build {
        /// The app folder: ion-config.edn plus the component's sources.
        #[arg(long, default_value = ".")]
        app: PathBuf,
    },
    /// Call one ion of an app once and print its result.
    ///
    /// NAME is a lambda (a key of :lambdas), whose INPUT is JSON (default {}), or a fully
    /// qualified query fn or xform, whose INPUT is an EDN vector of arguments, or a web ion,
    /// whose INPUT is an EDN request map such as {:request-method :get :uri "/"}.
    Invoke(invoke::InvokeArgs),
    /// Serve an app as a node: HTTP Direct, the AWS Lambda Invoke API, the admin API.
    ///
    /// Prints the bound addresses as an EDN map on stdout when ready; stops accepting and
    /// finishes calls in flight on SIGTERM or SIGINT.
    Serve(serve::ServeArgs),
    /// Serve an app folder like `serve`, rebuilding and swapping it in when its files change.
    ///
    /// Calls in flight finish on the previous build; a change that fails to build or load
    /// is logged and the previous build keeps serving.
    Dev(serve::ServeArgs),
    /// Fill and read the local parameter store that get-params reads by default.
    Params(params::ParamsArgs),
    /// Build an app and store it as a revision: named by its git commit when the tree is
    /// clean, else by --uname. Prints the reference's push map.
    Push(store::PushArgs),
    /// List the revisions a store holds.
    Revisions(store::RevisionsArgs),
    /// Remove stored parts that no revision needs.
    Gc(store::GcArgs),
    /// The embedded databases: create, list, delete, transact, pull, datoms.
    Db(db::DbArgs),
    /// Create, change and show compute groups.
    Group(group::GroupArgs),
    /// Deploy a pushed revision to a compute group's nodes, one at a time, rolling back
    /// on failure. Prints {:execution-arn … :status-command …}.
    Deploy(group::DeployArgs),
    /// Print a deploy's status: {:deploy-status S :code-deploy-status S …}.
    DeployStatus(group::StatusArgs),
    /// Print a node's or a compute group's recent log lines; --follow keeps printing.
    Logs(logs::LogsArgs),
    /// Runs a recorded deploy execution (what `host deploy` starts in the background).
    #[command(hide = true)]
    DeployRun(group::DeployArgs),
    /// The ion-dev op-map form, e.g. host '{:op :push :uname "janes-wip"}'.
    #[command(external_subcommand)]
    OpMap(Vec<String>),
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(crate::otlp::endpoint(cli.otlp_endpoint.as_deref()));
    if let Err(message) = crate::db::segment::check_env() {
        eprintln!("error: {message}");
        return ExitCode::from(Failure::Setup(String::new()).exit_code());
    }
    let outcome = match cli.command {
        Command::Build { app } => match crate::build::build_app(&app) {
            Ok(path) => {
                println!("{}", path.display());
                Ok(())
            }
            Err(e) => Err(Failure::Setup(format!("{e:#}"))),
        },
        Command::Invoke(args) => invoke::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Dev(args) => dev::run(args),
        Command::Params(args) => params::run(args),
        Command::Push(args) => store::run_push(args),
        Command::Revisions(args) => store::run_revisions(args),
        Command::Gc(args) => store::run_gc(args),
        Command::Group(args) => group::run_group(args),
        Command::Db(args) => db::run(args),
        Command::Deploy(args) => group::run_deploy(args),
        Command::DeployStatus(args) => group::run_status(args),
        Command::Logs(args) => logs::run(args),
        Command::DeployRun(args) => group::run_deploy_run(args),
        Command::OpMap(words) => match words.as_slice() {
            [map] if map.trim_start().starts_with('{') => store::run_op_map(map),
            _ => Err(Failure::Setup(format!(
                "unknown command {:?}; run `host help`",
                words.first().map(String::as_str).unwrap_or_default()
            ))),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Failure::Setup(message) = &failure {
                eprintln!("error: {message}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

/// How a subcommand failed.
pub(crate) enum Failure {
    /// The ion returned an error; it has been printed.
    Ion,
    /// Usage, configuration, build or load failed: this says why.
    Setup(String),
}

impl Failure {
    /// The process's exit code for this failure.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Ion => 1,
            Failure::Setup(_) => 2,
        }
    }
}

/// Logs go to stderr (and into the ring `host logs` reads); `ION_LOG` filters them
/// (default `warn,ion=info`) and `ION_LOG_FORMAT=json` makes them JSON lines. With an
/// OTLP endpoint, request and call spans are exported too, whatever the log filter. The
/// spans are DEBUG spans, so the default filter never formats them.
fn init_logging(otlp: Option<String>) {
    use std::io::IsTerminal;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("ION_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,ion=info,ion_host=info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(crate::logs::Tee::new)
        .with_ansi(std::io::stderr().is_terminal());
    let fmt = if std::env::var("ION_LOG_FORMAT").is_ok_and(|f| f == "json") {
        fmt.json().with_filter(filter).boxed()
    } else {
        fmt.with_filter(filter).boxed()
    };
    let otlp = otlp.map(|url| {
        // The request and call spans are DEBUG spans; the exporter takes them (and no
        // events) whatever the log filter says.
        crate::otlp::OtlpLayer::new(url).with_filter(tracing_subscriber::filter::filter_fn(
            |meta| meta.is_span() && meta.target().starts_with("ion_host"),
        ))
    });
    tracing_subscriber::registry().with(fmt).with(otlp).init();
}
