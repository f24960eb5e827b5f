//! `host push`, `host revisions` and `host gc`: the revision store from the shell, and
//! the ion-dev op-map form (`host '{:op :push :uname "janes-wip"}'`).

use super::Failure;
use super::app::tokio_runtime;
use crate::aws::AwsTarget;
use crate::deploy::push::{PushOptions, PushReport, push};
use crate::runtime::Runtime;
use crate::store::{Manifest, Store, gc};
use clap::Args;
use ion_edn::{Edn, keyword, string};
use std::path::PathBuf;
use std::time::Duration;

/// Which store, and how to reach it when it is in S3.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// The revision store: a directory or s3://bucket/prefix (default $ION_HOME/store).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub store: Option<String>,
    /// The AWS region of an S3 store (default: AWS_REGION).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// A named AWS profile for an S3 store's credentials.
    #[arg(long, value_name = "PROFILE")]
    pub creds_profile: Option<String>,
    /// An S3-compatible server to use instead of AWS (also AWS_ENDPOINT_URL_S3).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl StoreArgs {
    /// Opens the store these arguments name.
    pub fn open(&self) -> Result<Store, Failure> {
        let spec = self.store.clone().unwrap_or_else(Store::default_spec);
        let target = AwsTarget {
            region: self.region.clone(),
            endpoint: self
                .endpoint_url
                .clone()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok()),
            profile: self.creds_profile.clone(),
        };
        Store::open(&spec, target).map_err(|e| Failure::Setup(format!("{e:#}")))
    }
}

/// Arguments of `host push`.
#[derive(Args, Debug, Clone, Default)]
pub struct PushArgs {
    /// The app folder.
    #[arg(long, default_value = ".")]
    pub app: PathBuf,
    /// Name an unreproducible push (uncommitted work); unique per app.
    #[arg(long, value_name = "NAME")]
    pub uname: Option<String>,
    /// Push the component already built instead of building (needs --uname).
    #[arg(long)]
    pub no_build: bool,
    /// Print the result as JSON instead of EDN.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub(crate) fn run_push(args: PushArgs) -> Result<(), Failure> {
    let store = args.store.open()?;
    let opts = PushOptions {
        app: args.app.clone(),
        uname: args.uname.clone(),
        no_build: args.no_build,
    };
    let report = tokio_runtime()?.block_on(async {
        let runtime =
            Runtime::new(Default::default()).map_err(|e| Failure::Setup(format!("{e:#}")))?;
        use std::io::IsTerminal;
        let bar = std::io::stderr()
            .is_terminal()
            .then(|| indicatif::ProgressBar::new(0).with_message("pushing"));
        let report = push(&store, &runtime, &opts, bar.as_ref())
            .await
            .map_err(|e| Failure::Setup(format!("{e:#}")));
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        report
    })?;
    let m = &report.manifest;
    eprintln!(
        "{} {} of {}: uploaded {} bytes ({} parts) for a {}-byte component in {} parts ({:.1}%) to {}",
        if report.already_pushed {
            "already pushed"
        } else {
            "pushed"
        },
        m.name.as_str(),
        m.app_name,
        report.uploaded_bytes,
        report.uploaded_parts,
        m.size,
        m.parts.len(),
        report.uploaded_bytes as f64 * 100.0 / m.size.max(1) as f64,
        store.describe()
    );
    print_doc(&push_output(&report, &store), args.json);
    Ok(())
}

fn print_doc(doc: &Edn<'_>, json: bool) {
    if json {
        let value = ion_edn::edn_to_json(doc).unwrap_or_default();
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        println!("{}", ion_edn::print(doc));
    }
}

/// The reference's push result map, plus what was uploaded.
pub fn push_output(report: &PushReport, store: &Store) -> Edn<'static> {
    let m = &report.manifest;
    let group = report.groups.first().map_or("GROUP", String::as_str);
    let store_arg = format!(" --store {}", store.describe());
    let mut out = vec![
        (m.name.key(), string(m.name.as_str())),
        (
            "deploy-groups",
            Edn::Vector(report.groups.iter().map(|g| string(g.clone())).collect()),
        ),
        (
            "deploy-command",
            string(format!(
                "host deploy --group {group} --{} {}{store_arg}",
                m.name.key(),
                m.name.as_str()
            )),
        ),
        (
            "doc",
            string(if report.groups.is_empty() {
                "No compute group is in this store yet: create one with `host group create`, then run :deploy-command with its name.".to_owned()
            } else {
                "To deploy, run :deploy-command with one of :deploy-groups.".to_owned()
            }),
        ),
        (
            "uploaded",
            map(vec![
                ("bytes", Edn::Int(report.uploaded_bytes as i64)),
                ("parts", Edn::Int(report.uploaded_parts as i64)),
                ("component-bytes", Edn::Int(m.size as i64)),
                ("component-parts", Edn::Int(m.parts.len() as i64)),
            ]),
        ),
    ];
    if !report.conflicts.is_empty() {
        let deps = report
            .conflicts
            .iter()
            .map(|c| {
                let mut entry = vec![("import", string(c.import.clone()))];
                if let Some(w) = &c.wanted {
                    entry.push(("wanted", string(w.clone())));
                }
                entry.push(("host", c.host.clone().map_or(Edn::Nil, string)));
                if let Some(detail) = &c.detail {
                    entry.push(("error", string(detail.clone())));
                }
                (string(c.interface.clone()), map(entry))
            })
            .collect();
        out.push((
            "dependency-conflicts",
            map(vec![
                ("deps", Edn::Map(deps)),
                (
                    "doc",
                    string("The host's interfaces win: these imports will not link on a node. Build against the :host versions (pin them in your WIT deps or SDK) and test with `host invoke --app` or `host dev`, which link exactly as a node does."),
                ),
            ]),
        ));
    }
    map(out)
}

fn map(entries: Vec<(&str, Edn<'static>)>) -> Edn<'static> {
    Edn::Map(entries.into_iter().map(|(k, v)| (keyword(k), v)).collect())
}

/// Arguments of `host revisions`.
#[derive(Args, Debug)]
pub struct RevisionsArgs {
    /// Only this app's revisions (its :app-name).
    #[arg(long, value_name = "APP-NAME")]
    pub app_name: Option<String>,
    /// Print JSON instead of EDN.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub(crate) fn run_revisions(args: RevisionsArgs) -> Result<(), Failure> {
    let store = args.store.open()?;
    let revisions = tokio_runtime()?
        .block_on(store.revisions(args.app_name.as_deref()))
        .map_err(|e| Failure::Setup(format!("{e:#}")))?;
    let doc = Edn::Vector(revisions.iter().map(revision_summary).collect());
    print_doc(&doc, args.json);
    Ok(())
}

fn revision_summary(m: &Manifest) -> Edn<'static> {
    map(vec![
        ("app-name", string(m.app_name.clone())),
        (m.name.key(), string(m.name.as_str())),
        ("pushed-at", string(m.pushed_at.clone())),
        ("size", Edn::Int(m.size as i64)),
        ("parts", Edn::Int(m.parts.len() as i64)),
        ("sha256", string(m.component.hex())),
    ])
}

/// Arguments of `host gc`.
#[derive(Args, Debug)]
pub struct GcArgs {
    /// Keep unreferenced parts younger than this, so pushes in progress keep theirs.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub grace_secs: u64,
    /// Report what would be removed without removing it.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub(crate) fn run_gc(args: GcArgs) -> Result<(), Failure> {
    let store = args.store.open()?;
    let report = tokio_runtime()?
        .block_on(gc::collect(
            &store,
            Duration::from_secs(args.grace_secs),
            args.dry_run,
        ))
        .map_err(|e| Failure::Setup(format!("{e:#}")))?;
    println!(
        "{}",
        ion_edn::print(&map(vec![
            ("deleted", Edn::Int(report.deleted as i64)),
            ("deleted-bytes", Edn::Int(report.deleted_bytes as i64)),
            ("kept", Edn::Int(report.kept as i64)),
            ("young", Edn::Int(report.young as i64)),
            ("dry-run", Edn::Bool(args.dry_run)),
        ]))
    );
    Ok(())
}

/// The op-map form: `host '{:op :push …}'` with the reference's keys.
pub(crate) fn run_op_map(text: &str) -> Result<(), Failure> {
    let bad = |why: String| Failure::Setup(format!("op map {text}: {why}"));
    let doc = ion_edn::read(text).map_err(|e| bad(format!("not EDN: {e}")))?;
    let Edn::Map(entries) = &doc else {
        return Err(bad("expected a map such as {:op :push}".into()));
    };
    let str_of = |key: &str| -> Result<Option<String>, Failure> {
        match ion_edn::get(&doc, key) {
            None => Ok(None),
            Some(Edn::Str(s)) => Ok(Some(s.to_string())),
            Some(v) => Err(bad(format!(
                ":{key}: expected a string, found {}",
                ion_edn::type_name(v)
            ))),
        }
    };
    match ion_edn::get(&doc, "op") {
        Some(Edn::Key(op)) if op == "push" => {
            for key in entries.keys() {
                let known = matches!(key, Edn::Key(k) if ["op", "uname", "creds-profile", "region", "store", "app", "endpoint-url"].contains(&k.as_ref()));
                if !known {
                    return Err(bad(format!(
                        "unknown key {} for :push (known: :uname :creds-profile :region :store :app :endpoint-url)",
                        ion_edn::print(key)
                    )));
                }
            }
            run_push(PushArgs {
                app: str_of("app")?.map_or_else(|| PathBuf::from("."), PathBuf::from),
                uname: str_of("uname")?,
                no_build: false,
                json: false,
                store: StoreArgs {
                    store: str_of("store")?,
                    region: str_of("region")?,
                    creds_profile: str_of("creds-profile")?,
                    endpoint_url: str_of("endpoint-url")?,
                },
            })
        }
        Some(Edn::Key(op)) if op == "deploy" || op == "deploy-status" => {
            let known: &[&str] = if op == "deploy" {
                &[
                    "op",
                    "group",
                    "rev",
                    "uname",
                    "creds-profile",
                    "region",
                    "store",
                    "endpoint-url",
                    "wait",
                ]
            } else {
                &[
                    "op",
                    "execution-arn",
                    "creds-profile",
                    "region",
                    "store",
                    "endpoint-url",
                    "wait",
                ]
            };
            for key in entries.keys() {
                if !matches!(key, Edn::Key(k) if known.contains(&k.as_ref())) {
                    return Err(bad(format!(
                        "unknown key {} for :{op} (known: {})",
                        ion_edn::print(key),
                        known
                            .iter()
                            .map(|k| format!(":{k}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )));
                }
            }
            let store = StoreArgs {
                store: str_of("store")?,
                region: str_of("region")?,
                creds_profile: str_of("creds-profile")?,
                endpoint_url: str_of("endpoint-url")?,
            };
            let wait = matches!(ion_edn::get(&doc, "wait"), Some(Edn::Bool(true)));
            if op == "deploy" {
                super::group::run_deploy(super::group::DeployArgs {
                    group: str_of("group")?
                        .ok_or_else(|| bad(":group is required for :deploy".into()))?,
                    rev: str_of("rev")?,
                    uname: str_of("uname")?,
                    wait,
                    store,
                    ..Default::default()
                })
            } else {
                super::group::run_status(super::group::StatusArgs {
                    execution_arn: str_of("execution-arn")?.ok_or_else(|| {
                        bad(":execution-arn is required for :deploy-status".into())
                    })?,
                    wait,
                    store,
                })
            }
        }
        Some(Edn::Key(op)) => Err(bad(format!(
            ":op :{op} is not known here (known: :push, :deploy, :deploy-status)"
        ))),
        _ => Err(bad(
            ":op is missing; expected for example {:op :push}".into()
        )),
    }
}
