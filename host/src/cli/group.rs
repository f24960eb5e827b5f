//! `host group`, `host deploy` and `host deploy-status`: compute groups in the store, and
//! deploys to their nodes, from the shell (and the op-map forms of deploy and status).

use super::Failure;
use super::app::tokio_runtime;
use super::store::StoreArgs;
use crate::config::{DEFAULT_INSTANCE_TYPE, EnvironmentMap, InstanceSettings};
use crate::deploy::execution::{Execution, ExecutionStatus, NodeStatus};
use crate::deploy::orchestrate;
use crate::deploy::records::{Group, NodeRecord, RevRef, now_ms, now_rfc3339};
use crate::store::{RevName, Store};
use clap::{Args, Subcommand};
use ion_edn::{Edn, keyword, string};
use std::path::PathBuf;
use std::time::Duration;

fn setup(e: anyhow::Error) -> Failure {
    Failure::Setup(format!("{e:#}"))
}

/// Arguments of `host group`.
#[derive(Args, Debug)]
pub struct GroupArgs {
    #[command(subcommand)]
    command: GroupCommand,
}

#[derive(Subcommand, Debug)]
enum GroupCommand {
    /// Create a compute group.
    Create {
        /// The group's name.
        name: String,
        /// The environment map its ions get from get-env, e.g. '{:env :prod}'.
        #[arg(long, value_name = "EDN", default_value = "{}")]
        env: String,
        /// The instance type: small, medium (default), large or xlarge.
        #[arg(long, value_name = "TYPE", default_value = DEFAULT_INSTANCE_TYPE)]
        instance_type: String,
        /// The storage every node of the group keeps its databases in: file:DIR,
        /// postgres://USER@HOST:PORT/DB or s3://BUCKET/PREFIX (default: each node's own
        /// file:$ION_HOME/db). Leave the password out; give it to each node in
        /// ION_DB_STORAGE.
        #[arg(long, value_name = "URI")]
        db_storage: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change a group's environment map or instance type (the reference's parameter
    /// upgrade). Nodes apply the map at their next deploy, the type at their next start.
    Update {
        /// The group's name.
        name: String,
        /// The new environment map.
        #[arg(long, value_name = "EDN")]
        env: Option<String>,
        /// The new instance type.
        #[arg(long, value_name = "TYPE")]
        instance_type: Option<String>,
        /// The new database storage (nodes use it from their next start).
        #[arg(long, value_name = "URI")]
        db_storage: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show a group, its revision and its live nodes.
    Show {
        /// The group's name.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the store's groups.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn check_group(
    name: &str,
    env: Option<&str>,
    instance_type: Option<&str>,
    db_storage: Option<&str>,
) -> Result<(), Failure> {
    if let Some(uri) = db_storage {
        crate::db::StorageUri::parse(uri)
            .map_err(|e| Failure::Setup(format!("--db-storage: {e}")))?;
    }
    if !crate::config::is_plain_name(name) {
        return Err(Failure::Setup(format!(
            "group name {name:?}: expected letters, digits, '-', '_' or '.'"
        )));
    }
    if let Some(env) = env {
        EnvironmentMap::parse(env, "--env").map_err(|e| Failure::Setup(e.to_string()))?;
    }
    if let Some(t) = instance_type
        && InstanceSettings::of_type(t).is_none()
    {
        return Err(Failure::Setup(format!(
            "--instance-type {t}: expected one of {}",
            InstanceSettings::type_names()
        )));
    }
    Ok(())
}

pub(crate) fn run_group(args: GroupArgs) -> Result<(), Failure> {
    let store = match &args.command {
        GroupCommand::Create { store, .. }
        | GroupCommand::Update { store, .. }
        | GroupCommand::Show { store, .. }
        | GroupCommand::List { store } => store.open()?,
    };
    tokio_runtime()?.block_on(async {
        match args.command {
            GroupCommand::Create {
                name,
                env,
                instance_type,
                db_storage,
                ..
            } => {
                check_group(&name, Some(&env), Some(&instance_type), db_storage.as_deref())?;
                let group = Group {
                    name: name.clone(),
                    env,
                    instance_type,
                    db_storage,
                    current: None,
                    previous: None,
                    updated_at: now_rfc3339(),
                };
                if !group.put(&store, true).await.map_err(setup)? {
                    return Err(Failure::Setup(format!(
                        "the store {} already has a group {name:?}; change it with `host group update`",
                        store.describe()
                    )));
                }
                println!("{}", show(&group, &[]));
            }
            GroupCommand::Update {
                name,
                env,
                instance_type,
                db_storage,
                ..
            } => {
                check_group(
                    &name,
                    env.as_deref(),
                    instance_type.as_deref(),
                    db_storage.as_deref(),
                )?;
                let mut group = Group::require(&store, &name).await.map_err(setup)?;
                if let Some(env) = env {
                    group.env = env;
                }
                if let Some(t) = instance_type {
                    group.instance_type = t;
                }
                if let Some(uri) = db_storage {
                    group.db_storage = Some(uri);
                }
                group.updated_at = now_rfc3339();
                group.put(&store, false).await.map_err(setup)?;
                println!("{}", show(&group, &[]));
            }
            GroupCommand::Show { name, .. } => {
                let group = Group::require(&store, &name).await.map_err(setup)?;
                let nodes = NodeRecord::list(&store, &name).await.map_err(setup)?;
                println!("{}", show(&group, &nodes));
            }
            GroupCommand::List { .. } => {
                let names = store.groups().await.map_err(setup)?;
                let doc = Edn::Vector(names.into_iter().map(string).collect());
                println!("{}", ion_edn::print(&doc));
            }
        }
        Ok(())
    })
}

fn show(group: &Group, nodes: &[NodeRecord]) -> String {
    let rev = |r: &Option<crate::deploy::records::RevRef>| {
        r.as_ref()
            .map_or("nil".to_owned(), |r| ion_edn::quote(&r.describe()))
    };
    let now = now_ms();
    let nodes: Vec<String> = nodes
        .iter()
        .map(|n| {
            format!(
                "{{:id {}, :admin {}, :revision {}, :live {}}}",
                ion_edn::quote(&n.id),
                ion_edn::quote(&n.admin),
                n.revision
                    .as_deref()
                    .map_or("nil".to_owned(), ion_edn::quote),
                n.is_live(now)
            )
        })
        .collect();
    format!(
        "{{:group {}, :env {}, :instance-type {}, :db-storage {}, :current {}, :previous {}, :nodes [{}]}}",
        ion_edn::quote(&group.name),
        group.env,
        ion_edn::quote(&group.instance_type),
        group.db_storage.as_deref().map_or("nil".to_owned(), |u| {
            crate::db::StorageUri::parse(u)
                .map_or_else(|_| ion_edn::quote(u), |u| ion_edn::quote(&u.describe()))
        }),
        rev(&group.current),
        rev(&group.previous),
        nodes.join(" ")
    )
}

/// Arguments of `host deploy`.
#[derive(Args, Debug, Clone, Default)]
pub struct DeployArgs {
    /// The compute group to deploy to.
    #[arg(long)]
    pub group: String,
    /// The revision (a git SHA from `host push`).
    #[arg(
        long,
        value_name = "SHA",
        conflicts_with = "uname",
        required_unless_present = "uname"
    )]
    pub rev: Option<String>,
    /// The unreproducible revision's name.
    #[arg(long, value_name = "NAME")]
    pub uname: Option<String>,
    /// Run the deploy here and wait for its end (exit 0 SUCCEEDED, 1 FAILED) instead of
    /// starting it in the background.
    #[arg(long)]
    pub wait: bool,
    /// A file holding the nodes' admin bearer token (else ION_ADMIN_TOKEN).
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Internal: run the execution with this ARN (how a background deploy runs).
    #[arg(long, hide = true)]
    pub execution_arn: Option<String>,
}

pub(crate) fn admin_token(file: Option<&PathBuf>) -> Result<String, Failure> {
    let token = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::Setup(format!("{}: cannot read the admin token ({e})", path.display())))?
            .trim()
            .to_owned(),
        None => std::env::var("ION_ADMIN_TOKEN").map_err(|_| {
            Failure::Setup("a deploy talks to the nodes' admin APIs: set ION_ADMIN_TOKEN or pass --admin-token-file".into())
        })?,
    };
    if token.is_empty() {
        return Err(Failure::Setup("the admin token is empty".into()));
    }
    Ok(token)
}

pub(crate) fn run_deploy(args: DeployArgs) -> Result<(), Failure> {
    let store = args.store.open()?;
    let token = admin_token(args.admin_token_file.as_ref())?;
    let name = match (&args.rev, &args.uname) {
        (Some(r), _) => RevName::Rev(r.clone()),
        (None, Some(u)) => RevName::Uname(u.clone()),
        (None, None) => {
            return Err(Failure::Setup(
                "name the revision with --rev or --uname".into(),
            ));
        }
    };
    tokio_runtime()?.block_on(async {
        let execution = orchestrate::begin(&store, &args.group, &name).await.map_err(setup)?;
        let arn = execution.arn();
        let status_command = format!("host deploy-status --execution-arn {arn} --store {}", store.describe());
        let started = map(vec![
            ("execution-arn", string(arn.clone())),
            ("status-command", string(status_command)),
            (
                "doc",
                string(format!(
                    "Deploying {} to {}, one node at a time; run :status-command (add --wait to follow it).",
                    execution.target.describe(),
                    args.group
                )),
            ),
        ]);
        println!("{}", ion_edn::print(&started));
        if !args.wait {
            let pid = spawn_background(&args, &arn)?;
            return orchestrate::hand_over(&store, &execution, pid).await.map_err(setup);
        }
        let done = orchestrate::run(&store, execution, &token).await.map_err(setup)?;
        finish(&store, &done.arn()).await
    })
}

/// Starts `host deploy-run` detached, so the deploy outlives this command.
fn spawn_background(args: &DeployArgs, arn: &str) -> Result<u32, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Setup(format!("finding the host binary: {e}")))?;
    let logs = crate::store::ion_home().join("logs");
    let _ = std::fs::create_dir_all(&logs);
    let (_, id) = Execution::parse_arn(arn).map_err(setup)?;
    let log = std::fs::File::create(logs.join(format!("deploy-{id}.log"))).map_err(|e| {
        Failure::Setup(format!(
            "creating the deploy log in {}: {e}",
            logs.display()
        ))
    })?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("deploy-run")
        .arg("--execution-arn")
        .arg(arn)
        .arg("--group")
        .arg(&args.group);
    match (&args.rev, &args.uname) {
        (Some(r), _) => cmd.arg("--rev").arg(r),
        (None, Some(u)) => cmd.arg("--uname").arg(u),
        _ => &mut cmd,
    };
    if let Some(s) = &args.store.store {
        cmd.arg("--store").arg(s);
    }
    if let Some(f) = &args.admin_token_file {
        cmd.arg("--admin-token-file").arg(f);
    }
    for (flag, v) in [
        ("--region", &args.store.region),
        ("--creds-profile", &args.store.creds_profile),
        ("--endpoint-url", &args.store.endpoint_url),
    ] {
        if let Some(v) = v {
            cmd.arg(flag).arg(v);
        }
    }
    use std::os::unix::process::CommandExt;
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .process_group(0)
        .spawn()
        .map(|child| child.id())
        .map_err(|e| Failure::Setup(format!("starting the background deploy: {e}")))
}

/// `host deploy-run`: runs an execution `host deploy` recorded (hidden).
pub(crate) fn run_deploy_run(args: DeployArgs) -> Result<(), Failure> {
    let store = args.store.open()?;
    let token = admin_token(args.admin_token_file.as_ref())?;
    let arn = args
        .execution_arn
        .clone()
        .ok_or_else(|| Failure::Setup("deploy-run needs --execution-arn".into()))?;
    let (group, id) = Execution::parse_arn(&arn).map_err(setup)?;
    tokio_runtime()?.block_on(async {
        let doc = Execution::load_doc(&store, &arn).await.map_err(setup)?;
        let fields = crate::store::manifest::Fields {
            source: &arn,
            path: "",
        };
        let target = RevRef::from_edn(
            ion_edn::get(&doc, "target").unwrap_or(&Edn::Nil),
            &crate::store::manifest::Fields {
                source: &arn,
                path: ":target ",
            },
        )
        .map_err(setup)?;
        let previous = RevRef::opt(ion_edn::get(&doc, "previous"), &fields).map_err(setup)?;
        let mut execution = Execution::new(&group, target, previous);
        execution.id = id;
        if let Some(Edn::Str(s)) = ion_edn::get(&doc, "started-at") {
            execution.started_at = s.to_string();
        }
        let done = orchestrate::run(&store, execution, &token)
            .await
            .map_err(setup)?;
        tracing::info!(arn = done.arn(), status = %done.status, "deploy finished");
        Ok(())
    })
}

/// Prints an execution's status map; exit 1 when it FAILED.
async fn finish(store: &Store, arn: &str) -> Result<(), Failure> {
    let doc = Execution::load_doc(store, arn).await.map_err(setup)?;
    let status = match ion_edn::get(&doc, "status") {
        Some(Edn::Str(s)) => s.to_string(),
        _ => String::new(),
    };
    println!("{}", ion_edn::print(&status_map(&doc, &status)));
    // A status this host does not know (a newer host's record) is reported, not failed.
    match status
        .parse::<ExecutionStatus>()
        .map(ExecutionStatus::is_failure)
    {
        Ok(true) => Err(Failure::Ion),
        Ok(false) | Err(_) => Ok(()),
    }
}

fn status_map(doc: &Edn<'_>, status: &str) -> Edn<'static> {
    let mut out = vec![
        ("deploy-status", string(status)),
        ("code-deploy-status", string(status)),
    ];
    for key in [
        "execution-arn",
        "group",
        "target",
        "error",
        "started-at",
        "finished-at",
        "nodes",
    ] {
        if let Some(v) = ion_edn::get(doc, key) {
            out.push((key, ion_edn::read(&ion_edn::print(v)).unwrap_or(Edn::Nil)));
        }
    }
    map(out)
}

fn map(entries: Vec<(&str, Edn<'static>)>) -> Edn<'static> {
    Edn::Map(entries.into_iter().map(|(k, v)| (keyword(k), v)).collect())
}

/// Arguments of `host deploy-status`.
#[derive(Args, Debug, Clone, Default)]
pub struct StatusArgs {
    /// The execution, as `host deploy` printed it.
    #[arg(long, value_name = "ARN")]
    pub execution_arn: String,
    /// Follow the execution to its end (exit 0 SUCCEEDED, 1 FAILED).
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub(crate) fn run_status(args: StatusArgs) -> Result<(), Failure> {
    let store = args.store.open()?;
    tokio_runtime()?.block_on(async {
        if args.wait {
            use std::io::IsTerminal;
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            loop {
                let doc = Execution::load_doc(&store, &args.execution_arn).await.map_err(setup)?;
                let status = match ion_edn::get(&doc, "status") {
                    Some(Edn::Str(s)) => s.to_string(),
                    _ => String::new(),
                };
                if status.parse() != Ok(ExecutionStatus::Running) {
                    if let Some(bar) = &bar {
                        bar.finish_and_clear();
                    }
                    break;
                }
                if let (Some(bar), Some(Edn::Vector(nodes))) = (&bar, ion_edn::get(&doc, "nodes")) {
                    let done = nodes
                        .iter()
                        .filter(|n| matches!(ion_edn::get(n, "status"), Some(Edn::Str(s)) if s.parse::<NodeStatus>().map_or(true, NodeStatus::is_done)))
                        .count();
                    bar.set_message(format!("RUNNING: {done}/{} nodes", nodes.len()));
                }
                // Polling the store: the execution record is the only channel between
                // this command and the orchestrator, which may run on another machine.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        finish(&store, &args.execution_arn).await
    })
}
