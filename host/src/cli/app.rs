//! What `invoke`, `serve` and `dev` share: naming an app folder, building it, and loading
//! it into a runtime as a node of a compute group would.

use super::Failure;
use super::store::StoreArgs;
use crate::config::{EnvironmentMap, IonConfig, is_plain_name};
use crate::params::{CachedParams, DEFAULT_TTL, LocalStore, ParamsProvider, SsmStore};
use crate::runtime::{AppContext, DEFAULT_PARAMS_PREFIX, LoadError, LoadedApp, Placement, Runtime};
use crate::store::{LocalDir, RevName, ion_home};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Which app, and as which compute group.
#[derive(Args, Debug, Clone)]
pub struct AppArgs {
    /// The app folder: ion-config.edn plus the component's sources.
    #[arg(long, default_value = ".")]
    pub app: PathBuf,
    /// Use the component already built instead of building first.
    #[arg(long)]
    pub no_build: bool,
    /// The compute group to act as (lambdas are `{group}-{name}`); default: the app's name.
    #[arg(long)]
    pub group: Option<String>,
    /// Where get-params reads: `local` (the local store, $ION_HOME/params.edn), `local:FILE`,
    /// `ssm` (AWS SSM Parameter Store) or `ssm:ENDPOINT-URL` (an SSM-compatible server).
    #[arg(long, default_value = "local", value_name = "SPEC")]
    pub params: String,
    /// The AWS region for `--params ssm` and an S3 store (default: AWS_REGION).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Load this pushed revision (a git SHA) from the store instead of an app folder.
    #[arg(long, value_name = "SHA", conflicts_with_all = ["app", "uname"])]
    pub rev: Option<String>,
    /// Load this unreproducible revision from the store instead of an app folder.
    #[arg(long, value_name = "NAME", conflicts_with = "app")]
    pub uname: Option<String>,
    /// The revision store for --rev and --uname: a directory or s3://bucket/prefix
    /// (default $ION_HOME/store).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub store: Option<String>,
    /// The first segment of the app's parameter paths, /PREFIX/ENV/APP-NAME/KEY.
    #[arg(long, default_value = DEFAULT_PARAMS_PREFIX, value_name = "PREFIX")]
    pub params_prefix: String,
    /// How long the node serves fetched parameters from its cache before refreshing.
    #[arg(long, default_value_t = DEFAULT_TTL.as_secs(), value_name = "SECONDS")]
    pub params_ttl_secs: u64,
    /// Where databases live: file:DIR, postgres://USER@HOST:PORT/DB or
    /// s3://BUCKET/PREFIX (default file:$ION_HOME/db; a group node uses its group's).
    #[arg(long, env = "ION_DB_STORAGE", value_name = "URI")]
    pub db_storage: Option<String>,
}

/// The parameter provider a spec names.
pub fn params_provider(
    spec: &str,
    region: Option<&str>,
) -> Result<Arc<dyn ParamsProvider>, Failure> {
    let region = region.map(str::to_owned);
    match spec.split_once(':') {
        None if spec == "local" => Ok(Arc::new(LocalStore::new(LocalStore::default_file()))),
        Some(("local", file)) if !file.is_empty() => Ok(Arc::new(LocalStore::new(file))),
        None if spec == "ssm" => Ok(Arc::new(SsmStore::new(region, None))),
        Some(("ssm", url)) if url.starts_with("http://") || url.starts_with("https://") => {
            Ok(Arc::new(SsmStore::new(region, Some(url.to_owned()))))
        }
        _ => Err(Failure::Setup(format!(
            "--params {spec}: expected `local`, `local:FILE`, `ssm` or `ssm:ENDPOINT-URL`"
        ))),
    }
}

/// An app read and checked, not yet loaded.
pub struct Prepared {
    /// The validated config.
    pub config: IonConfig,
    /// The compute group.
    pub group: String,
    /// The component file.
    pub component: PathBuf,
    /// Where get-params reads, cached.
    pub params: Arc<CachedParams>,
    /// The first segment of parameter paths.
    pub params_prefix: String,
    /// The database storage named by --db-storage, if any.
    pub db_storage: Option<crate::db::StorageUri>,
}

impl AppArgs {
    /// Reads and checks `ion-config.edn` for the group, and builds unless `--no-build`.
    pub fn prepare(&self) -> Result<Prepared, Failure> {
        let revision = match (&self.rev, &self.uname) {
            (Some(sha), _) => Some(RevName::Rev(sha.clone())),
            (None, Some(uname)) => Some(RevName::Uname(uname.clone())),
            (None, None) => None,
        };
        let (config_path, config, fetched) = match revision {
            Some(name) => {
                let (config_path, config, component) = self.fetch(&name)?;
                (config_path, config, Some(component))
            }
            None => {
                let config_path = self.app.join("ion-config.edn");
                let config =
                    IonConfig::load(&config_path).map_err(|e| Failure::Setup(e.to_string()))?;
                (config_path, config, None)
            }
        };
        let group = self
            .group
            .clone()
            .unwrap_or_else(|| config.app_name.clone());
        if let Err(problems) = config.validate_for_group(&group) {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(Failure::Setup(format!(
                "{}: {}",
                config_path.display(),
                lines.join("; ")
            )));
        }
        let component = if let Some(component) = fetched {
            component
        } else if self.no_build {
            crate::build::component_path(&self.app)
        } else {
            crate::build::build_app(&self.app).map_err(|e| Failure::Setup(format!("{e:#}")))?
        };
        let params = self.cached_params()?;
        let db_storage =
            crate::node_db::parse_flag(self.db_storage.as_deref()).map_err(setup_error)?;
        Ok(Prepared {
            config,
            group,
            component,
            params,
            params_prefix: self.params_prefix.clone(),
            db_storage,
        })
    }
}

impl AppArgs {
    /// The parameter provider these arguments name, behind the node's cache.
    pub fn cached_params(&self) -> Result<Arc<CachedParams>, Failure> {
        let provider = params_provider(&self.params, self.region.as_deref())?;
        if !is_plain_name(&self.params_prefix) {
            return Err(Failure::Setup(format!(
                "--params-prefix {:?}: expected letters, digits, '-', '_' or '.'",
                self.params_prefix
            )));
        }
        Ok(CachedParams::new(
            provider,
            Duration::from_secs(self.params_ttl_secs),
        ))
    }

    /// Whether these arguments make a node of a stored compute group (`--group` and
    /// `--store`, no revision named).
    pub fn is_group_node(&self) -> bool {
        self.group.is_some() && self.store.is_some() && self.rev.is_none() && self.uname.is_none()
    }

    /// The store these arguments name.
    pub fn store(&self) -> Result<crate::store::Store, Failure> {
        StoreArgs {
            store: self.store.clone(),
            region: self.region.clone(),
            ..Default::default()
        }
        .open()
    }

    /// Fetches a pushed revision: its config (named by where it came from) and its
    /// component, reassembled into `$ION_HOME/cache/revisions`.
    fn fetch(&self, name: &RevName) -> Result<(PathBuf, IonConfig, PathBuf), Failure> {
        let setup = |e: anyhow::Error| Failure::Setup(format!("{e:#}"));
        let store = self.store()?;
        tokio_runtime()?.block_on(async {
            let manifest = store.find_revision(name).await.map_err(setup)?;
            let source = PathBuf::from(format!(
                "{}/{} {} ion-config.edn",
                store.describe(),
                manifest.app_name,
                manifest.name.as_str()
            ));
            let config = IonConfig::parse(&manifest.ion_config, &source)
                .map_err(|e| Failure::Setup(e.to_string()))?;
            let file = ion_home()
                .join("cache")
                .join("revisions")
                .join(format!("{}.wasm", manifest.component.hex()));
            if !file.is_file() {
                let bytes = store.component(&manifest).await.map_err(setup)?;
                let dir = file.parent().expect("has a parent");
                LocalDir::new(dir)
                    .put_now(&format!("{}.wasm", manifest.component.hex()), &bytes)
                    .map_err(setup)?;
            }
            Ok((source, config, file))
        })
    }
}

/// A setup failure (exit 2) saying what `e` says.
pub(crate) fn setup_error(e: impl std::fmt::Display) -> Failure {
    Failure::Setup(e.to_string())
}

/// Loads a prepared app into `runtime`, with the process's environment map.
pub async fn load(
    runtime: &Runtime,
    prepared: Prepared,
    dev_mode: bool,
) -> Result<LoadedApp, Failure> {
    let bytes = read_component(&prepared.component)?;
    let env_map = EnvironmentMap::from_process_env().map_err(setup_error)?;
    let databases = crate::node_db::init(prepared.db_storage.clone())
        .await
        .map_err(setup_error)?;
    let placement = Placement {
        group: Some(prepared.group.clone()),
        env_map,
        dev_mode,
        params: Some(prepared.params.clone()),
        params_prefix: prepared.params_prefix.clone(),
        databases: Some(databases),
    };
    let context = AppContext::new(&prepared.config, placement).map_err(setup_error)?;
    LoadedApp::load(runtime, bytes, prepared.config, context)
        .await
        .map_err(|e| load_failure(&prepared.component, e))
}

/// How a component that does not load ends the command. Every way is the app's setup
/// (exit 2), init failures included: the ion never ran a call. A new `LoadError` must be
/// placed here.
fn load_failure(component: &Path, e: LoadError) -> Failure {
    match e {
        LoadError::Preinit(_)
        | LoadError::CompileTask(_)
        | LoadError::Compile(_)
        | LoadError::Imports(_)
        | LoadError::NoDescribe
        | LoadError::Instantiate(_)
        | LoadError::Describe(_)
        | LoadError::Init(_)
        | LoadError::ConcurrentReuse(_)
        | LoadError::Mismatch(_) => Failure::Setup(format!("{}: {e}", component.display())),
    }
}

fn read_component(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure::Setup(format!(
            "{}: cannot read the component ({e}); run `host build` first",
            path.display()
        ))
    })
}

/// A multi-threaded tokio runtime for a subcommand.
pub fn tokio_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Setup(format!("starting the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::{Category, IonError};
    use std::error::Error as _;

    /// Each `LoadError`: its text (what `host serve`, `host dev` and a refused deploy step
    /// show), whether it keeps its cause, and its exit code.
    #[tokio::test]
    async fn every_load_error_keeps_its_text_its_cause_and_exit_code_2() {
        let task = tokio::spawn(async { panic!("boom") }).await.unwrap_err();
        let task_text = format!("the component does not compile: {task}");
        let ion = || IonError::new(Category::Fault, "x failed");
        let cases: Vec<(LoadError, &str, bool)> = vec![
            (
                LoadError::Preinit(anyhow::anyhow!("a").context("b")),
                "b: a",
                true,
            ),
            (LoadError::CompileTask(task), &task_text, true),
            (
                LoadError::Compile(anyhow::anyhow!("bad magic").context("decoding")),
                "the component does not compile: decoding: bad magic",
                true,
            ),
            (
                LoadError::Imports(wasmtime::Error::msg("wasi:x missing")),
                "the component imports what this host does not offer (a dependency conflict): wasi:x missing",
                true,
            ),
            (
                LoadError::NoDescribe,
                "the component exports neither ion:host/describe@0.1.0 (build it with an Ion SDK) nor wasi:http/incoming-handler",
                false,
            ),
            (
                LoadError::Instantiate(ion()),
                "instantiating the component failed: fault: x failed",
                true,
            ),
            (
                LoadError::Describe(ion()),
                "describe failed: fault: x failed",
                true,
            ),
            (
                LoadError::Init(ion()),
                "the app's init failed: fault: x failed",
                true,
            ),
            (
                LoadError::Mismatch(vec!["one".into(), "two".into()]),
                "ion-config.edn does not match the component:\n  - one\n  - two",
                false,
            ),
        ];
        for (e, text, has_source) in cases {
            assert_eq!(e.to_string(), text);
            assert_eq!(e.source().is_some(), has_source, "{text}");
            let failure = load_failure(Path::new("app.wasm"), e);
            assert_eq!(failure.exit_code(), 2, "{text}");
            let Failure::Setup(message) = failure else {
                panic!("a load error is a setup failure");
            };
            assert!(message.starts_with("app.wasm: "), "{message}");
        }
        assert_eq!(Failure::Ion.exit_code(), 1);
    }
}
