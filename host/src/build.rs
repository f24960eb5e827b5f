//! Building an app folder into its component.
//!
//! The convention: an app folder holds `ion-config.edn` and the sources of one wasm
//! component. A folder with a `Cargo.toml` is a Rust app, built with
//! `cargo build --release --target wasm32-wasip2`; its `cdylib` is the component. The
//! built component is copied to `target/ion/app.wasm` inside the folder, where `host`
//! commands look for it. Knows nothing of wasmtime or serving.

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a built app's component is kept, relative to the app folder.
pub const COMPONENT_PATH: &str = "target/ion/app.wasm";

/// How a Rust app is built, as a revision's manifest records it.
pub const RUST_BUILD: &str = "cargo build --release --target wasm32-wasip2";

/// The component of the app in `app_dir`, relative to its build convention.
pub fn component_path(app_dir: &Path) -> PathBuf {
    app_dir.join(COMPONENT_PATH)
}

/// Builds the app in `app_dir` and returns the path of its component. Build output goes
/// to stderr so stdout stays the command's result.
pub fn build_app(app_dir: &Path) -> Result<PathBuf> {
    if !app_dir.join("ion-config.edn").is_file() {
        bail!(
            "{}: not an app folder: it has no ion-config.edn",
            app_dir.display()
        );
    }
    let built = if app_dir.join("Cargo.toml").is_file() {
        build_rust(app_dir)?
    } else {
        bail!(
            "{}: no build recipe found; an app folder needs a Cargo.toml (Rust) beside its ion-config.edn",
            app_dir.display()
        );
    };
    let out = component_path(app_dir);
    std::fs::create_dir_all(out.parent().expect("COMPONENT_PATH has a parent"))
        .with_context(|| format!("creating {}", out.display()))?;
    if built != out {
        std::fs::copy(&built, &out)
            .with_context(|| format!("copying {} to {}", built.display(), out.display()))?;
    }
    Ok(out)
}

fn build_rust(app_dir: &Path) -> Result<PathBuf> {
    let manifest = app_dir.join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| {
            format!(
                "running {} to build {}",
                cargo.to_string_lossy(),
                manifest.display()
            )
        })?;
    if !output.status.success() {
        bail!(
            "{}: cargo build failed ({}); if the error mentions wasm32-wasip2, run `rustup target add wasm32-wasip2`",
            manifest.display(),
            output.status
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut components = Vec::new();
    for line in stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_cdylib = msg["target"]["crate_types"]
            .as_array()
            .is_some_and(|t| t.iter().any(|k| k == "cdylib"));
        if msg["reason"] == "compiler-artifact" && is_cdylib {
            let files = msg["filenames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str());
            components.extend(files.filter(|f| f.ends_with(".wasm")).map(PathBuf::from));
        }
    }
    match components.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!(
            "{}: the build made no wasm component; the package needs `crate-type = [\"cdylib\"]`",
            manifest.display()
        ),
        many => bail!(
            "{}: the build made {} components ({:?}); an app is one component",
            manifest.display(),
            many.len(),
            many
        ),
    }
}
