//! `host db`: the embedded databases from the shell — create, list, delete, transact
//! (with `--app`, the app's transaction functions, predicates and xforms run), pull and
//! datoms. Output is EDN on stdout; a refused transaction prints its anomaly and exits 1.

use super::Failure;
use super::app::{AppArgs, load, tokio_runtime};
use crate::db::Functions;
use crate::db::api::{datoms_request, pull_request, read, report_map};
use crate::runtime::db_fns;
use crate::runtime::{DEFAULT_PARAMS_PREFIX, LoadedApp, Runtime};
use clap::{Args, Subcommand};
use ion_edn::Edn;
use std::path::PathBuf;

/// Arguments of `host db`.
#[derive(Args, Debug)]
pub struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
    /// Where databases live: file:DIR, postgres://USER@HOST:PORT/DB or
    /// s3://BUCKET/PREFIX (default file:$ION_HOME/db).
    #[arg(long, env = "ION_DB_STORAGE", value_name = "URI", global = true)]
    db_storage: Option<String>,
    /// The same as --db-storage file:DIR.
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "db_storage")]
    db_dir: Option<PathBuf>,
    /// Run this app's functions (transaction functions, predicates, xforms).
    #[arg(long, value_name = "DIR", global = true)]
    app: Option<PathBuf>,
    /// With --app: use the component already built.
    #[arg(long, global = true)]
    no_build: bool,
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Create a database (nothing happens when it exists).
    Create { name: String },
    /// List the databases.
    List,
    /// Delete a database and its log.
    Delete { name: String },
    /// Index now: fold the log into index segments under a new root, so the next open
    /// reads the root and replays only the log after it (nodes also index after every
    /// ION_DB_INDEX_EVERY of log, 64 MiB by default).
    #[command(alias = "snapshot")]
    Index { name: String },
    /// Delete the index segments no kept root names (storage keeps the newest two
    /// roots), once the grace period has passed; prints what was deleted and kept.
    Gc {
        name: String,
        /// Keep unnamed segments younger than this, and every segment while the older
        /// kept root is younger than this: nodes may still read through it.
        #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
        grace_secs: u64,
        /// Report what would be deleted without deleting it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Commit transaction data (EDN); prints {:basis-t :tx-data :tempids}. With `-`,
    /// commits one transaction per line of stdin and prints one acknowledgement line
    /// ({:basis-t t :tempids {...}}) as each is durable.
    Transact { name: String, tx_data: String },
    /// Pull a PATTERN (EDN) of entity EID (an id, ident or lookup ref).
    Pull {
        name: String,
        pattern: String,
        eid: String,
    },
    /// Run a Datalog QUERY (EDN) against the database; ARGS (EDN each) bind its :in
    /// after the first `$`.
    Q {
        name: String,
        query: String,
        args: Vec<String>,
        /// Stop the query with an `interrupted` anomaly after MS milliseconds (the Datomic
        /// Client API's default for q); a :timeout in an arg-map query applies too.
        #[arg(long, value_name = "MS", default_value_t = crate::db::query::TOOL_TIMEOUT_MS)]
        timeout: u64,
        /// Print the plan instead of running the query: each :where clause in the order it
        /// runs, with the estimate a reordered data pattern was chosen by.
        #[arg(long)]
        explain: bool,
    },
    /// Datoms of INDEX (eavt, aevt, avet, vaet) with leading COMPONENTS (EDN each).
    Datoms {
        name: String,
        index: String,
        components: Vec<String>,
        /// At most this many datoms.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
}

pub(crate) fn run(args: DbArgs) -> Result<(), Failure> {
    let uri = match &args.db_dir {
        Some(dir) => Some(crate::db::StorageUri::File(dir.clone())),
        None => crate::node_db::parse_flag(args.db_storage.as_deref())
            .map_err(super::app::setup_error)?,
    };
    let fail = |e: crate::anomaly::IonError| {
        eprintln!("{}", e.to_edn());
        Failure::Ion
    };
    tokio_runtime()?.block_on(async {
        let dbs = crate::node_db::init(uri)
            .await
            .map_err(super::app::setup_error)?;
        let app = match &args.app {
            Some(dir) => Some(load_app(dir, args.no_build).await?),
            None => None,
        };
        let fns = db_fns::of(app.as_ref().map(|(_, app)| app));
        let fns = &*fns;
        let out = match args.command {
            DbCommand::Create { name } => {
                dbs.create(&name).await.map_err(fail)?;
                format!("{{:created {}}}", ion_edn::quote(&name))
            }
            DbCommand::Index { name } => {
                let conn = dbs.connect(&name).await.map_err(fail)?;
                conn.snapshot().await.map_err(fail)?;
                format!(
                    "{{:indexed {}, :basis-t {}}}",
                    ion_edn::quote(&name),
                    conn.db().basis_t()
                )
            }
            DbCommand::Gc {
                name,
                grace_secs,
                dry_run,
            } => {
                let r = dbs
                    .gc(&name, std::time::Duration::from_secs(grace_secs), dry_run)
                    .await
                    .map_err(fail)?;
                format!(
                    "{{:deleted {}, :deleted-bytes {}, :kept {}, :young {}, :dry-run {dry_run}}}",
                    r.deleted, r.deleted_bytes, r.kept, r.young
                )
            }
            DbCommand::List => ion_edn::print(&Edn::Vector(
                dbs.list()
                    .await
                    .map_err(fail)?
                    .into_iter()
                    .map(ion_edn::string)
                    .collect(),
            )),
            DbCommand::Delete { name } => {
                dbs.delete(&name).await.map_err(fail)?;
                format!("{{:deleted {}}}", ion_edn::quote(&name))
            }
            DbCommand::Transact { name, tx_data } if tx_data == "-" => {
                let conn = dbs.connect(&name).await.map_err(fail)?;
                return stream(&conn, fns).await;
            }
            DbCommand::Transact { name, tx_data } => {
                let conn = dbs.connect(&name).await.map_err(fail)?;
                let data = read(&tx_data, "the tx-data").map_err(fail)?;
                let report = conn.transact(&data, fns).await.map_err(fail)?;
                ion_edn::print(&report_map(&report))
            }
            DbCommand::Pull { name, pattern, eid } => {
                let db = dbs.connect(&name).await.map_err(fail)?.db();
                let request = format!("{{:selector {pattern} :eid {eid}}}");
                let request = read(&request, "the pattern and eid").map_err(fail)?;
                ion_edn::print(&pull_request(&db, &request, fns).await.map_err(fail)?)
            }
            DbCommand::Q {
                name,
                query,
                args,
                timeout,
                explain,
            } => {
                let db = dbs.connect(&name).await.map_err(fail)?.db();
                let query = read(&query, "the query").map_err(fail)?;
                let mut inputs = vec![crate::db::query::Input::Db(&db)];
                for a in &args {
                    inputs.push(crate::db::query::Input::Value(
                        read(a, "a query argument").map_err(fail)?,
                    ));
                }
                if explain {
                    ion_edn::print(&crate::db::query::explain(&query, inputs, fns).map_err(fail)?)
                } else {
                    let bound = crate::db::query::Deadline::after_ms(
                        timeout,
                        format!("host db q's --timeout of {timeout} ms"),
                    );
                    ion_edn::print(
                        &crate::db::query::q_until(&query, inputs, fns, Some(bound))
                            .await
                            .map_err(fail)?,
                    )
                }
            }
            DbCommand::Datoms {
                name,
                index,
                components,
                limit,
            } => {
                let db = dbs.connect(&name).await.map_err(fail)?.db();
                let request = format!(
                    "{{:index :{index} :components [{}] :limit {limit}}}",
                    components.join(" ")
                );
                let request = read(&request, "the index and components").map_err(fail)?;
                ion_edn::print(&datoms_request(&db, &request).map_err(fail)?)
            }
        };
        println!("{out}");
        Ok(())
    })
}

async fn load_app(dir: &std::path::Path, no_build: bool) -> Result<(Runtime, LoadedApp), Failure> {
    let args = AppArgs {
        app: dir.to_owned(),
        no_build,
        group: None,
        params: "local".into(),
        region: None,
        rev: None,
        uname: None,
        store: None,
        params_prefix: DEFAULT_PARAMS_PREFIX.into(),
        params_ttl_secs: crate::params::DEFAULT_TTL.as_secs(),
        db_storage: None,
    };
    let prepared = args.prepare()?;
    let rt = Runtime::new(Default::default()).map_err(|e| Failure::Setup(format!("{e:#}")))?;
    let app = load(&rt, prepared, true).await?;
    Ok((rt, app))
}

/// One transaction per stdin line, each acknowledged on stdout once durable; a refused
/// one is acknowledged with its anomaly and the stream goes on.
async fn stream(conn: &crate::db::Connection, fns: &dyn Functions) -> Result<(), Failure> {
    use std::io::{BufRead as _, Write as _};
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| Failure::Setup(format!("reading stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let ack = match read(&line, "the tx-data") {
            Ok(data) => match conn.transact(&data, fns).await {
                Ok(report) => {
                    let (_, tempids) = crate::db::api::report_edn(&report);
                    format!(
                        "{{:basis-t {}, :tempids {}}}",
                        report.db_after.basis_t(),
                        ion_edn::print(&tempids)
                    )
                }
                Err(e) => e.to_edn(),
            },
            Err(e) => e.to_edn(),
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{ack}")
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Setup(format!("writing stdout: {e}")))?;
    }
    Ok(())
}
