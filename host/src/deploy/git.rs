//! Whether a push is reproducible: the app is in a git repository whose working tree is
//! clean, it has a commit, and every local path dependency lies inside that repository
//! (so the commit names all of the source). Asks `git` and `cargo metadata`; changes
//! nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commit a reproducible push of `app` is named by, or why there is none.
pub fn reproducible_rev(app: &Path) -> Result<String, String> {
    let top = git(app, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        format!(
            "{} is not in a git repository ({e}), so no commit can name the push",
            app.display()
        )
    })?;
    let top = PathBuf::from(top.trim());
    let status = git(&top, &["status", "--porcelain", "--untracked-files=normal"])
        .map_err(|e| format!("git status failed in {}: {e}", top.display()))?;
    if !status.trim().is_empty() {
        let changed: Vec<&str> = status.lines().take(5).map(str::trim).collect();
        let more = status.lines().count().saturating_sub(5);
        return Err(format!(
            "the git working tree {} has uncommitted changes ({}{})",
            top.display(),
            changed.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let head = git(&top, &["rev-parse", "HEAD"])
        .map_err(|_| format!("the git repository {} has no commit yet", top.display()))?;
    if app.join("Cargo.toml").is_file() {
        let outside = path_dependencies_outside(app, &top)?;
        if !outside.is_empty() {
            return Err(format!(
                "it has local path dependencies outside the repository {}: {}",
                top.display(),
                outside.join(", ")
            ));
        }
    }
    Ok(head.trim().to_owned())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The path-sourced packages of a Cargo app whose manifests lie outside `top`.
fn path_dependencies_outside(app: &Path, top: &Path) -> Result<Vec<String>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed for {}: {}",
            app.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cargo metadata printed something unexpected: {e}"))?;
    let top = top.canonicalize().unwrap_or_else(|_| top.to_owned());
    let mut outside = Vec::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        if !package["source"].is_null() {
            continue;
        }
        let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap_or_default());
        let manifest = manifest.canonicalize().unwrap_or(manifest);
        if !manifest.starts_with(&top) {
            outside.push(format!(
                "{} ({})",
                package["name"].as_str().unwrap_or("?"),
                manifest.parent().unwrap_or(&manifest).display()
            ));
        }
    }
    Ok(outside)
}
