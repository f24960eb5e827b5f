//! Whether a push is reproducible: the app is in a git repository whose working tree is
//! clean, it has a commit, and every local path dependency lies inside that repository
//! (so the commit names all of the source). Asks `git` and `cargo metadata`; changes
//! nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a push of an app cannot be named by a commit.
#[derive(Debug, thiserror::Error)]
pub enum NotReproducible {
    /// The app is not in a git repository.
    #[error("{} is not in a git repository ({source}), so no commit can name the push", app.display())]
    NotInRepository {
        /// The app folder.
        app: PathBuf,
        /// What git said.
        source: GitError,
    },
    /// `git status` failed.
    #[error("git status failed in {}: {source}", top.display())]
    Status {
        /// The repository's top folder.
        top: PathBuf,
        /// What git said.
        source: GitError,
    },
    /// The working tree has changes no commit holds.
    #[error("the git working tree {} has uncommitted changes ({}{})", top.display(), changed.join(", "), and_more(*more))]
    Uncommitted {
        /// The repository's top folder.
        top: PathBuf,
        /// The first changed paths, as `git status --porcelain` lists them.
        changed: Vec<String>,
        /// How many more changed paths there are.
        more: usize,
    },
    /// The repository has no commit.
    #[error("the git repository {} has no commit yet", top.display())]
    NoCommit {
        /// The repository's top folder.
        top: PathBuf,
    },
    /// A path dependency lies outside the repository.
    #[error("it has local path dependencies outside the repository {}: {}", top.display(), outside.join(", "))]
    OutsidePaths {
        /// The repository's top folder.
        top: PathBuf,
        /// Each such package, `name (folder)`.
        outside: Vec<String>,
    },
    /// `cargo metadata` could not be run or read.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

fn and_more(more: usize) -> String {
    if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    }
}

/// Why `git` gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// It could not be started.
    #[error("cannot run git: {0}")]
    Run(#[source] std::io::Error),
    /// It failed; its standard error, trimmed.
    #[error("{0}")]
    Failed(String),
}

/// Why `cargo metadata` gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// It could not be started.
    #[error("cannot run cargo metadata: {0}")]
    Run(#[source] std::io::Error),
    /// It failed; its standard error, trimmed.
    #[error("cargo metadata failed for {}: {stderr}", app.display())]
    Failed {
        /// The app folder.
        app: PathBuf,
        /// What it said.
        stderr: String,
    },
    /// It printed something that is not its JSON.
    #[error("cargo metadata printed something unexpected: {0}")]
    Json(#[source] serde_json::Error),
}

/// The commit a reproducible push of `app` is named by, or why there is none.
pub fn reproducible_rev(app: &Path) -> Result<String, NotReproducible> {
    let top = git(app, &["rev-parse", "--show-toplevel"]).map_err(|source| {
        NotReproducible::NotInRepository {
            app: app.to_owned(),
            source,
        }
    })?;
    let top = PathBuf::from(top.trim());
    let status =
        git(&top, &["status", "--porcelain", "--untracked-files=normal"]).map_err(|source| {
            NotReproducible::Status {
                top: top.clone(),
                source,
            }
        })?;
    if !status.trim().is_empty() {
        let changed = status
            .lines()
            .take(5)
            .map(|l| l.trim().to_owned())
            .collect();
        let more = status.lines().count().saturating_sub(5);
        return Err(NotReproducible::Uncommitted { top, changed, more });
    }
    let head = git(&top, &["rev-parse", "HEAD"])
        .map_err(|_| NotReproducible::NoCommit { top: top.clone() })?;
    if app.join("Cargo.toml").is_file() {
        let outside = path_dependencies_outside(app, &top)?;
        if !outside.is_empty() {
            return Err(NotReproducible::OutsidePaths { top, outside });
        }
    }
    Ok(head.trim().to_owned())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(GitError::Run)?;
    if !out.status.success() {
        return Err(GitError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The path-sourced packages of a Cargo app whose manifests lie outside `top`.
fn path_dependencies_outside(app: &Path, top: &Path) -> Result<Vec<String>, MetadataError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .output()
        .map_err(MetadataError::Run)?;
    if !out.status.success() {
        return Err(MetadataError::Failed {
            app: app.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(MetadataError::Json)?;
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
