//! Building an app folder into its component.
//!
//! The convention: an app folder holds `ion-config.edn` and the sources of one wasm
//! component, in one of three languages, told apart by what sits beside the config:
//! - `Cargo.toml`: a Rust app, built with `cargo build --release --target wasm32-wasip2`;
//!   its `cdylib` is the component (`rust.rs`).
//! - `app.py`: a Python app: the Python SDK's runtime component (built once per SDK
//!   version with componentize-py and cached) with the app's sources attached (`python.rs`).
//! - `package.json` and `app.js`: a JavaScript app, built by the JS SDK's `ion-build`
//!   (`js.rs`).
//!
//! The built component is written to `target/ion/app.wasm` inside the folder, where
//! `host` commands look for it. Knows nothing of serving; of wasmtime it knows only the
//! sources section's layout (`runtime::preinit`).

mod js;
mod python;
mod rust;
pub mod wit;

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};

/// Where a built app's component is kept, relative to the app folder.
pub const COMPONENT_PATH: &str = "target/ion/app.wasm";

/// The languages an app folder can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// `Cargo.toml`.
    Rust,
    /// `app.py`.
    Python,
    /// `package.json` and `app.js`.
    JavaScript,
}

impl Language {
    /// The language of the app in `app_dir`, by its build files.
    pub fn of(app_dir: &Path) -> Result<Language> {
        if !app_dir.join("ion-config.edn").is_file() {
            bail!(
                "{}: not an app folder: it has no ion-config.edn",
                app_dir.display()
            );
        }
        if app_dir.join("Cargo.toml").is_file() {
            Ok(Language::Rust)
        } else if app_dir.join("app.py").is_file() {
            Ok(Language::Python)
        } else if app_dir.join("package.json").is_file() && app_dir.join("app.js").is_file() {
            Ok(Language::JavaScript)
        } else {
            bail!(
                "{}: no build recipe found; beside its ion-config.edn an app folder needs a Cargo.toml (Rust), an app.py (Python) or a package.json and app.js (JavaScript)",
                app_dir.display()
            )
        }
    }

    /// How an app in this language is built, as a revision's manifest records it.
    pub fn recipe(self) -> &'static str {
        match self {
            Language::Rust => rust::RECIPE,
            Language::Python => python::RECIPE,
            Language::JavaScript => js::RECIPE,
        }
    }
}

/// The component of the app in `app_dir`, relative to its build convention.
pub fn component_path(app_dir: &Path) -> PathBuf {
    app_dir.join(COMPONENT_PATH)
}

/// Builds the app in `app_dir` and returns the path of its component. Build output goes
/// to stderr so stdout stays the command's result.
pub fn build_app(app_dir: &Path) -> Result<PathBuf> {
    let out = component_path(app_dir);
    std::fs::create_dir_all(out.parent().expect("COMPONENT_PATH has a parent"))
        .with_context(|| format!("creating {}", out.display()))?;
    match Language::of(app_dir)? {
        Language::Rust => {
            let built = rust::build(app_dir)?;
            std::fs::copy(&built, &out)
                .with_context(|| format!("copying {} to {}", built.display(), out.display()))?;
        }
        Language::Python => python::build(app_dir, &out)?,
        Language::JavaScript => js::build(app_dir, &out)?,
    }
    Ok(out)
}

/// Where builds keep what outlives one app folder (SDK runtimes, the WIT files):
/// `$ION_BUILD_CACHE`, default `$HOME/.cache/ion-host/build`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ION_BUILD_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("ion-host").join("build")
}

/// Runs `command`, its output to stderr; fails naming `what` and the hint.
fn run(mut command: std::process::Command, what: &str, hint: &str) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .with_context(|| format!("{what}: cannot run {shown}; {hint}"))?;
    if !status.success() {
        bail!("{what}: {shown} failed ({status}); {hint}");
    }
    Ok(())
}
