//! Building a Rust app: `cargo build --release --target wasm32-wasip2`, whose `cdylib` is
//! the component.

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How a Rust app is built, as a revision's manifest records it.
pub const RECIPE: &str = "cargo build --release --target wasm32-wasip2";

/// Builds the Rust app in `app_dir`; returns where cargo put its component.
pub fn build(app_dir: &Path) -> Result<PathBuf> {
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
