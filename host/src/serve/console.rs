//! The deploy console: a page served by the admin listener (`GET /console?token=…`) and
//! the JSON it polls every second (`GET /console/state`, bearer token). The state is this
//! node's own figures (revision, calls per ion, instances alive) and, on a node of a
//! stored compute group, what its `Deployer` reads of the store: groups, nodes, deploy
//! executions, revisions. The page is plain HTML with a small script: no build step.

use super::Node;
use super::body::{Body, respond};
use hyper::Response;
use serde_json::json;
use std::sync::Arc;

const PAGE: &str = include_str!("console.html");

/// The console page.
pub fn page() -> Response<Body> {
    let mut r = respond(200, "text/html; charset=utf-8", PAGE);
    // The page carries the token in its address: keep it out of caches and referrers.
    r.headers_mut()
        .insert("cache-control", "no-store".parse().expect("valid header"));
    r.headers_mut().insert(
        "referrer-policy",
        "no-referrer".parse().expect("valid header"),
    );
    r
}

/// The state the page shows, as JSON.
pub async fn state(node: Arc<Node>) -> Response<Body> {
    let metrics = crate::metrics::metrics();
    let slot = node.current();
    let ions: Vec<serde_json::Value> = metrics
        .ion_calls()
        .into_iter()
        .map(
            |(app, ion, kind, calls)| json!({"app": app, "ion": ion, "kind": kind, "calls": calls}),
        )
        .collect();
    let store = match &node.deployer {
        Some(d) => match d.console_state().await {
            Ok(s) => s,
            Err(e) => json!({"error": e.to_string()}),
        },
        None => serde_json::Value::Null,
    };
    let body = json!({
        "now_ms": crate::db::now_ms(),
        "node": {
            "group": node.group,
            "app": slot.as_ref().map(|s| s.app.config().app_name.clone()),
            "revision": slot.as_ref().map(|s| s.revision.clone()),
            "calls": metrics.total_calls(),
            "in_flight": metrics.instances_alive(),
            "ions": ions,
        },
        "store": store,
    });
    respond(200, "application/json", body.to_string())
}
