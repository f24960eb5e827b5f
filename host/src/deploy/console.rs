//! What the deploy console shows of a store, as JSON: each compute group with its nodes
//! (revision, health, load) and its latest deploy executions (each node's steps and
//! timings, the status, a failed node's error), and the store's latest revisions. Reads
//! only; the page itself and the node's own figures are the serve module's.

use super::execution::Execution;
use super::records::{Group, NodeRecord, now_ms, read_doc};
use crate::store::Store;
use anyhow::Result;
use serde_json::{Value, json};

/// Executions shown per group, newest first.
const EXECUTIONS: usize = 5;
/// Revisions shown, newest first.
const REVISIONS: usize = 20;

/// The console's view of `store`.
pub async fn state(store: &Store) -> Result<Value> {
    let now = now_ms();
    let mut groups = Vec::new();
    for name in store.groups().await? {
        let Some(group) = Group::get(store, &name).await? else {
            continue;
        };
        let nodes: Vec<Value> = NodeRecord::list(store, &name)
            .await?
            .into_iter()
            .map(|n| {
                json!({
                    "id": n.id,
                    "admin": n.admin,
                    "revision": n.revision,
                    "live": n.is_live(now),
                    "heartbeat_age_ms": now.saturating_sub(n.heartbeat_ms),
                    "heartbeat_ms": n.heartbeat_ms,
                    "calls": n.calls,
                    "in_flight": n.in_flight,
                })
            })
            .collect();
        groups.push(json!({
            "name": name,
            "instance_type": group.instance_type,
            "current": group.current.as_ref().map(|r| r.describe()),
            "previous": group.previous.as_ref().map(|r| r.describe()),
            "nodes": nodes,
            "executions": executions(store, &name).await?,
        }));
    }
    let mut revisions = store.revisions(None).await?;
    revisions.sort_by(|a, b| b.pushed_at.cmp(&a.pushed_at));
    let revisions: Vec<Value> = revisions
        .iter()
        .take(REVISIONS)
        .map(|m| {
            json!({
                "app": m.app_name,
                "name": m.name.as_str(),
                "pushed_at": m.pushed_at,
                "size": m.size,
            })
        })
        .collect();
    Ok(json!({
        "store": store.describe(),
        "groups": groups,
        "revisions": revisions,
    }))
}

/// The group's latest executions as stored, newest first.
async fn executions(store: &Store, group: &str) -> Result<Vec<Value>> {
    let mut listed = store
        .backend()
        .list(&format!("executions/{group}/"))
        .await?;
    // Execution ids end in their start time in milliseconds.
    let started = |key: &str| -> u64 {
        key.trim_end_matches(".edn")
            .rsplit('-')
            .next()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0)
    };
    listed.sort_by_key(|l| std::cmp::Reverse(started(&l.key)));
    let mut out = Vec::new();
    for l in listed.into_iter().take(EXECUTIONS) {
        let Some(bytes) = store.backend().get(&l.key).await? else {
            continue;
        };
        let doc = read_doc(bytes, &format!("{}/{}", store.describe(), l.key))?;
        let mut value = ion_edn::edn_to_json(&doc).unwrap_or(Value::Null);
        if let Some(arn) = value.get("execution-arn").and_then(Value::as_str) {
            let short = Execution::parse_arn(arn)
                .map(|(_, id)| id)
                .unwrap_or_default();
            value["short_id"] = Value::String(short);
        }
        out.push(value);
    }
    Ok(out)
}
