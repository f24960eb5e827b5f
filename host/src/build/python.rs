//! Building a Python app. The Python SDK (`sdk/python`: the `ion` package and the
//! `ion_guest` entry module) is built once with componentize-py into a *runtime*
//! component for world `ion-runtime` and cached under the build cache by a hash of
//! componentize-py's version, the WIT contract and the SDK's files. An app's component is
//! that runtime with the app's `.py` sources attached (`runtime::preinit`), so every
//! revision built here shares the runtime's bytes and a one-line change uploads only its
//! sources. The host pre-initialises the component with the sources where it loads it.

use super::run;
use crate::runtime::preinit::attach_sources;
use anyhow::{Context as _, Result, bail};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a Python app is built, as a revision's manifest records it.
pub const RECIPE: &str = "componentize-py runtime (world ion-runtime) + the app's .py sources";

/// The componentize-py release the SDK is built and tested with.
const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// The most source text an app may carry.
const MAX_SOURCES: usize = 16 << 20;

const HINT: &str = "install the Python tools with sdk/python/install.sh (or `pip install componentize-py==0.25.1 sdk/python`), or name them with ION_COMPONENTIZE_PY";

/// Builds the Python app in `app_dir` into `out`.
pub fn build(app_dir: &Path, out: &Path) -> Result<()> {
    let sources = sources_json(app_dir)?;
    let runtime = runtime()?;
    let bytes = std::fs::read(&runtime)
        .with_context(|| format!("reading the Python runtime {}", runtime.display()))?;
    let component = attach_sources(&bytes, &sources);
    let tmp = out.with_extension("wasm.tmp");
    std::fs::write(&tmp, &component).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

/// The app's Python sources as a JSON object from relative path to text.
pub fn sources_json(app_dir: &Path) -> Result<String> {
    let mut files = BTreeMap::new();
    let mut total = 0usize;
    collect(app_dir, app_dir, &mut files, &mut total)?;
    if !files.contains_key("app.py") {
        bail!("{}: a Python app needs an app.py", app_dir.display());
    }
    Ok(serde_json::to_string(&files)?)
}

fn collect(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, String>,
    total: &mut usize,
) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            let skip = name.starts_with('.')
                || ["target", "__pycache__", "node_modules", "venv"].contains(&name.as_ref());
            if !skip {
                collect(root, &path, files, total)?;
            }
        } else if name.ends_with(".py") {
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("{}: a Python source must be UTF-8 text", path.display())
            })?;
            *total += text.len();
            if *total > MAX_SOURCES {
                bail!(
                    "{}: the app's .py sources exceed {} MiB",
                    root.display(),
                    MAX_SOURCES >> 20
                );
            }
            let rel = path.strip_prefix(root).expect("under the app folder");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.insert(rel, text);
        }
    }
    Ok(())
}

/// The tools a Python build runs.
struct Tools {
    componentize_py: PathBuf,
    python: PathBuf,
}

impl Tools {
    /// `$ION_COMPONENTIZE_PY`, else `componentize-py` on `PATH`, else the one in the
    /// project's venv (`$HOME/.cache/ion-host/venv`); the Python beside it.
    fn find() -> Result<Tools> {
        let candidates = std::env::var_os("ION_COMPONENTIZE_PY")
            .map(PathBuf::from)
            .into_iter()
            .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("componentize-py"))
                    .collect::<Vec<_>>()
            }))
            .chain(
                std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(".cache/ion-host/venv/bin/componentize-py")),
            );
        for componentize_py in candidates {
            if componentize_py.is_file() {
                let bin = componentize_py.parent().unwrap_or(Path::new("."));
                let python = ["python3", "python"]
                    .iter()
                    .map(|p| bin.join(p))
                    .find(|p| p.is_file())
                    .unwrap_or_else(|| PathBuf::from("python3"));
                return Ok(Tools {
                    componentize_py,
                    python,
                });
            }
        }
        bail!("building a Python app needs {COMPONENTIZE_PY}, which was not found; {HINT}")
    }

    fn version(&self) -> Result<String> {
        let out = Command::new(&self.componentize_py)
            .arg("--version")
            .output()
            .with_context(|| format!("running {}", self.componentize_py.display()))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The folder the Python SDK is installed in (the one holding `ion_guest.py` and
    /// `ion/`): `$ION_PYTHON_SDK`, else where the tools' Python finds it.
    fn sdk_dir(&self) -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os("ION_PYTHON_SDK") {
            return Ok(PathBuf::from(dir));
        }
        let out = Command::new(&self.python)
            .args([
                "-c",
                "import importlib.util as u; s = u.find_spec('ion_guest'); print(s.origin if s else '')",
            ])
            .current_dir(std::env::temp_dir())
            .output()
            .with_context(|| format!("running {}; {HINT}", self.python.display()))?;
        let origin = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        match Path::new(&origin).parent() {
            Some(dir) if !origin.is_empty() => Ok(dir.to_owned()),
            _ => bail!(
                "the Python SDK (module ion_guest) is not installed for {}; {HINT}",
                self.python.display()
            ),
        }
    }
}

/// The SDK's files that go into the runtime: `ion_guest.py` and the `ion` package.
fn sdk_files(sdk: &Path) -> Result<BTreeMap<String, String>> {
    let guest = sdk.join("ion_guest.py");
    let mut files = BTreeMap::new();
    files.insert(
        "ion_guest.py".to_owned(),
        std::fs::read_to_string(&guest).with_context(|| format!("reading {}", guest.display()))?,
    );
    let mut package = BTreeMap::new();
    let mut total = 0;
    collect(&sdk.join("ion"), &sdk.join("ion"), &mut package, &mut total)?;
    if package.is_empty() {
        bail!(
            "{}: the Python SDK's `ion` package is missing",
            sdk.display()
        );
    }
    files.extend(package.into_iter().map(|(k, v)| (format!("ion/{k}"), v)));
    Ok(files)
}

/// The runtime component for the installed SDK, built now if not cached.
fn runtime() -> Result<PathBuf> {
    let tools = Tools::find()?;
    let version = tools.version()?;
    let sdk = tools.sdk_dir()?;
    let files = sdk_files(&sdk)?;
    let mut h = Sha256::new();
    h.update(version.as_bytes());
    h.update(super::wit::digest().as_bytes());
    for (name, text) in &files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    let key = hex::encode(&h.finalize()[..12]);
    let dir = super::cache_dir().join("python");
    let runtime = dir.join(format!("runtime-{key}.wasm"));
    if runtime.is_file() {
        return Ok(runtime);
    }
    // Stage exactly the SDK's files, so nothing else on the Python path is bundled.
    let stage = dir.join(format!("sdk-{key}-{}", std::process::id()));
    for (name, text) in &files {
        let path = stage.join(name);
        std::fs::create_dir_all(path.parent().expect("a file has a folder"))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!("building the Python SDK's runtime ({version}); this happens once per SDK version");
    let tmp = dir.join(format!("runtime-{key}.wasm.tmp-{}", std::process::id()));
    let mut command = Command::new(&tools.componentize_py);
    command
        .arg("-d")
        .arg(super::wit::dir()?)
        .args(["-w", "ion-runtime", "componentize", "ion_guest", "-p"])
        .arg(&stage)
        .arg("-o")
        .arg(&tmp)
        .env_remove("VIRTUAL_ENV");
    let result = run(command, "building the Python runtime", HINT);
    let _ = std::fs::remove_dir_all(&stage);
    result?;
    std::fs::rename(&tmp, &runtime).with_context(|| format!("writing {}", runtime.display()))?;
    Ok(runtime)
}
