//! `host dev`: serve an app folder like `host serve`, and when its files change, rebuild
//! it and swap the new component in. Calls in flight finish on the old one; a change that
//! does not build or load is reported and the old component keeps serving. This is the
//! local loop that replaces the reference's REPL workflow.

use super::Failure;
use super::app::{AppArgs, load};
use super::serve::{ServeArgs, run_node, start};
use crate::runtime::Runtime;
use crate::serve::{Node, Slot};
use notify_debouncer_mini::notify::RecursiveMode;
use std::path::{Component, Path};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// How long the folder must be quiet before a rebuild starts.
const SETTLE: Duration = Duration::from_millis(300);

pub(crate) fn run(args: ServeArgs) -> Result<(), Failure> {
    if args.app.rev.is_some() || args.app.uname.is_some() {
        return Err(Failure::Setup(
            "host dev rebuilds an app folder as it changes; serve a pushed revision with `host serve --rev SHA` or `--uname NAME`".into(),
        ));
    }
    let app = args.app.clone();
    start(
        &args,
        true,
        |_| "dev-1".into(),
        async move |node, listeners, runtime| {
            let watch = watch(app, runtime, node.clone())?;
            let served = run_node(node, listeners).await;
            drop(watch);
            served
        },
    )
}

/// Watches the app folder (not its `target/` or hidden folders) and rebuilds on change.
/// Dropping the result stops the watch.
fn watch(args: AppArgs, runtime: Runtime, node: Arc<Node>) -> Result<impl Drop, Failure> {
    let (tx, rx) = mpsc::channel();
    let mut debouncer = notify_debouncer_mini::new_debouncer(SETTLE, tx)
        .map_err(|e| Failure::Setup(format!("watching {}: {e}", args.app.display())))?;
    debouncer
        .watcher()
        .watch(&args.app, RecursiveMode::Recursive)
        .map_err(|e| Failure::Setup(format!("watching {}: {e}", args.app.display())))?;
    let handle = tokio::runtime::Handle::current();
    let root = args.app.canonicalize().unwrap_or_else(|_| args.app.clone());
    std::thread::Builder::new()
        .name("ion-dev-watch".into())
        .spawn(move || {
            let mut generation = 1;
            while let Ok(events) = rx.recv() {
                let changed: Vec<_> = match events {
                    Ok(events) => events.into_iter().map(|e| e.path).filter(|p| relevant(&root, p)).collect(),
                    Err(e) => {
                        tracing::warn!(error = %e, "watching the app folder failed");
                        continue;
                    }
                };
                if changed.is_empty() {
                    continue;
                }
                generation += 1;
                tracing::info!(files = ?changed, "change detected; rebuilding");
                let result = args.prepare().and_then(|prepared| handle.block_on(load(&runtime, prepared, true)));
                match result {
                    Ok(app) => {
                        node.swap(Some(Slot::new(app, format!("dev-{generation}"))));
                        tracing::info!(revision = format!("dev-{generation}"), "swapped in the rebuilt app");
                    }
                    Err(Failure::Setup(e)) => tracing::error!(error = %e, "the change does not build or load; still serving the previous build"),
                    Err(Failure::Ion) => {}
                }
            }
        })
        .map_err(|e| Failure::Setup(format!("starting the watch thread: {e}")))?;
    Ok(debouncer)
}

/// A change that matters: inside the app folder, outside `target/`, hidden folders and
/// what package managers and interpreters write (`node_modules/`, `__pycache__/`).
fn relevant(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    !rel.components().any(|c| match c {
        Component::Normal(name) => {
            ["target", "node_modules", "__pycache__"].contains(&name.to_string_lossy().as_ref())
                || name.to_string_lossy().starts_with('.')
        }
        _ => false,
    })
}
