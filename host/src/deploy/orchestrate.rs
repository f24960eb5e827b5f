//! Running a deploy: one live node at a time, each told over its admin API to load the
//! revision and swap it in. When a node refuses, every node already switched is told to
//! go back to the group's previous revision and the execution ends `FAILED` with the
//! node's error; the group's record changes only when every node succeeded. One
//! execution per group at a time (a lock object in the store).

use super::execution::{Execution, ExecutionStatus, NodeStatus, NodeStep};
use super::records::{Group, NodeRecord, RevRef, now_ms, now_rfc3339};
use crate::store::{RevName, Store};
use anyhow::{Result, anyhow, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ion_edn::{Edn, keyword, string};
use std::time::{Duration, Instant};

/// How long one node may take to load a revision.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(300);
/// A lock older than this belongs to an orchestrator that died; it is taken over.
const STALE_LOCK: Duration = Duration::from_secs(900);

/// Checks that `name` can be deployed to `group` and records a new execution for it.
pub async fn begin(store: &Store, group: &str, name: &RevName) -> Result<Execution> {
    let record = Group::require(store, group).await?;
    let manifest = store.find_revision(name).await?;
    let source = std::path::PathBuf::from(format!(
        "{} of {} ion-config.edn",
        manifest.name.as_str(),
        manifest.app_name
    ));
    let config = crate::config::IonConfig::parse(&manifest.ion_config, &source)
        .map_err(|e| anyhow!("{e}"))?;
    if let Err(problems) = config.validate_for_group(group) {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        bail!(
            "{} cannot be deployed to {group}: {}",
            source.display(),
            lines.join("; ")
        );
    }
    let target = RevRef {
        app_name: manifest.app_name.clone(),
        name: manifest.name.clone(),
    };
    let execution = Execution::new(group, target, record.current.clone());
    lock(store, &execution).await?;
    execution.save(store).await?;
    Ok(execution)
}

/// The lock's content: when it was taken, the execution, and the orchestrator process
/// holding it (`host/pid`), so a lock whose holder died on this machine is taken over at
/// once instead of after `STALE_LOCK`.
fn lock_content(arn: &str, pid: u32) -> String {
    format!("{} {arn} {}/{pid}", now_ms(), machine())
}

/// This machine's name, as Linux knows it ("" elsewhere).
fn machine() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// Whether `holder` (`host/pid`) names a process of this machine that no longer runs.
fn holder_is_dead(holder: &str) -> bool {
    let Some((host, pid)) = holder.rsplit_once('/') else {
        return false;
    };
    !host.is_empty()
        && host == machine()
        && pid.parse::<u32>().is_ok()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

async fn lock(store: &Store, execution: &Execution) -> Result<()> {
    let key = format!("groups/{}/deploying", execution.group);
    let content = lock_content(&execution.arn(), std::process::id());
    if store
        .backend()
        .put(&key, content.clone().into_bytes(), true)
        .await?
    {
        return Ok(());
    }
    let held = store.backend().get(&key).await?.unwrap_or_default();
    let held = String::from_utf8_lossy(&held).into_owned();
    let mut fields = held.split(' ');
    let (since, arn) = (fields.next().unwrap_or("0"), fields.next().unwrap_or(""));
    let dead = fields.next().is_some_and(holder_is_dead);
    let age = now_ms().saturating_sub(since.parse().unwrap_or(0));
    if age < STALE_LOCK.as_millis() as u64 && !dead {
        bail!(
            "a deploy to {} is running ({arn}); wait for it (`host deploy-status --execution-arn {arn} --wait`)",
            execution.group
        );
    }
    tracing::warn!(
        group = execution.group,
        stale = arn,
        "taking over a deploy lock left by a stopped orchestrator"
    );
    end_abandoned(store, arn, &execution.arn()).await;
    store
        .backend()
        .put(&key, content.into_bytes(), false)
        .await?;
    Ok(())
}

/// Records the execution `arn`, whose orchestrator stopped, as FAILED (when it had not
/// finished). The execution taking over deploys to every live node, which brings the
/// nodes it had switched back in line. Best effort: a missing record is no obstacle.
async fn end_abandoned(store: &Store, arn: &str, by: &str) {
    let loaded = Execution::load_doc(store, arn).await;
    let Ok(Edn::Map(doc)) = &loaded else {
        return;
    };
    let mut doc = doc.clone();
    if doc
        .get(&keyword("finished-at"))
        .is_some_and(|v| *v != Edn::Nil)
    {
        return;
    }
    let error = format!("its orchestrator stopped before it finished; {by} took over the group");
    doc.insert(keyword("status"), string(ExecutionStatus::Failed.as_str()));
    doc.insert(keyword("error"), string(error));
    doc.insert(keyword("finished-at"), string(now_rfc3339()));
    if let Ok((group, id)) = Execution::parse_arn(arn) {
        let text = ion_edn::print(&Edn::Map(doc)) + "\n";
        let _ = store
            .backend()
            .put(
                &format!("executions/{group}/{id}.edn"),
                text.into_bytes(),
                false,
            )
            .await;
    }
}

/// Hands the group's deploy lock to the process `pid` that will run `execution` (the
/// detached `host deploy-run`), so the lock names a live holder throughout.
pub async fn hand_over(store: &Store, execution: &Execution, pid: u32) -> Result<()> {
    let key = format!("groups/{}/deploying", execution.group);
    let content = lock_content(&execution.arn(), pid);
    store
        .backend()
        .put(&key, content.into_bytes(), false)
        .await?;
    Ok(())
}

/// Runs `execution` to its end and returns it as recorded.
pub async fn run(store: &Store, mut execution: Execution, token: &str) -> Result<Execution> {
    let outcome = steps(store, &mut execution, token).await;
    if let Err(e) = &outcome {
        execution.status = ExecutionStatus::Failed;
        execution.error.get_or_insert_with(|| format!("{e:#}"));
    }
    execution.finished_at = Some(now_rfc3339());
    let saved = execution.save(store).await;
    let _ = store
        .backend()
        .delete(&format!("groups/{}/deploying", execution.group))
        .await;
    saved?;
    Ok(execution)
}

async fn steps(store: &Store, execution: &mut Execution, token: &str) -> Result<()> {
    let now = now_ms();
    let nodes: Vec<NodeRecord> = NodeRecord::list(store, &execution.group)
        .await?
        .into_iter()
        .filter(|n| n.is_live(now))
        .collect();
    execution.nodes = nodes
        .iter()
        .map(|n| NodeStep {
            id: n.id.clone(),
            admin: n.admin.clone(),
            status: NodeStatus::Pending,
            timings: Vec::new(),
            error: None,
        })
        .collect();
    execution.save(store).await?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let target = target_edn(Some(&execution.target));
    for i in 0..execution.nodes.len() {
        execution.nodes[i].status = NodeStatus::Running;
        execution.save(store).await?;
        let started = Instant::now();
        match step(&client, &execution.nodes[i].admin, token, &target).await {
            Ok(mut timings) => {
                timings.push(("total".into(), started.elapsed().as_millis() as u64));
                execution.nodes[i].timings = timings;
                execution.nodes[i].status = NodeStatus::Succeeded;
                execution.save(store).await?;
            }
            Err(error) => {
                let node = execution.nodes[i].id.clone();
                execution.nodes[i].status = NodeStatus::Failed;
                execution.nodes[i].error = Some(error.to_string());
                execution.error = Some(format!(
                    "node {node} refused {}: {error}",
                    execution.target.describe()
                ));
                execution.status = ExecutionStatus::Failed;
                execution.save(store).await?;
                roll_back(store, execution, &client, token, i).await?;
                return Ok(());
            }
        }
    }
    let mut group = Group::require(store, &execution.group).await?;
    if group.current.as_ref() != Some(&execution.target) {
        group.previous = group.current.take();
        group.current = Some(execution.target.clone());
    }
    group.updated_at = now_rfc3339();
    group.put(store, false).await?;
    execution.status = ExecutionStatus::Succeeded;
    Ok(())
}

/// Sends every node before `failed` back to the previous revision, last switched first.
async fn roll_back(
    store: &Store,
    execution: &mut Execution,
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    token: &str,
    failed: usize,
) -> Result<()> {
    let previous = target_edn(execution.previous.as_ref());
    for i in (0..failed).rev() {
        match step(client, &execution.nodes[i].admin, token, &previous).await {
            Ok(_) => execution.nodes[i].status = NodeStatus::RolledBack,
            Err(e) => {
                execution.nodes[i].status = NodeStatus::RollbackFailed;
                execution.nodes[i].error = Some(e.to_string());
            }
        }
        execution.save(store).await?;
    }
    Ok(())
}

fn target_edn(target: Option<&RevRef>) -> String {
    match target {
        Some(t) => ion_edn::print(&t.to_edn()),
        None => "{:none true}".into(),
    }
}

/// Why one node's deploy step (or its rollback) failed, as the orchestrator sees it. Its
/// text is recorded as the node's error and, prefixed, as the execution's.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The request could not be made (a malformed admin address).
    #[error("{0}")]
    Request(#[source] hyper::http::Error),
    /// The node's admin API did not take the request.
    #[error("cannot reach its admin API at {admin}: {source}")]
    Unreachable {
        /// The node's admin address.
        admin: String,
        /// Why.
        #[source]
        source: hyper_util::client::legacy::Error,
    },
    /// The answer's body broke off.
    #[error("{0}")]
    Body(#[source] hyper::Error),
    /// No answer within `STEP_TIMEOUT`.
    #[error("no answer from {admin} within {} s", STEP_TIMEOUT.as_secs())]
    Timeout {
        /// The node's admin address.
        admin: String,
    },
    /// The node refused the revision: its own error (a `DeployError`'s text, sent as
    /// `:error`), or the whole answer when that is not a string.
    #[error("{0}")]
    Refused(String),
    /// The node refused the orchestrator's token.
    #[error("its admin API refused the token (401): {0}")]
    Unauthorized(String),
    /// Any other answer.
    #[error("its admin API answered {status}: {body}")]
    Answered {
        /// The HTTP status.
        status: u16,
        /// The answer's body.
        body: String,
    },
}

/// One node's deploy step: its timings, or why it refused.
async fn step(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    admin: &str,
    token: &str,
    target: &str,
) -> Result<Vec<(String, u64)>, StepError> {
    let req = hyper::Request::post(format!("http://{admin}/deploy"))
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(hyper::header::CONTENT_TYPE, "application/edn")
        .body(Full::new(Bytes::from(target.to_owned())))
        .map_err(StepError::Request)?;
    let response = tokio::time::timeout(STEP_TIMEOUT, async {
        let resp = client
            .request(req)
            .await
            .map_err(|source| StepError::Unreachable {
                admin: admin.to_owned(),
                source,
            })?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(StepError::Body)?
            .to_bytes();
        Ok::<_, StepError>((status, String::from_utf8_lossy(&body).into_owned()))
    })
    .await
    .map_err(|_| StepError::Timeout {
        admin: admin.to_owned(),
    })??;
    let (status, body) = response;
    let doc = ion_edn::read(&body).ok();
    match (status, &doc) {
        (200, Some(doc)) => Ok(match doc {
            ion_edn::Edn::Map(m) => m
                .iter()
                .filter_map(|(k, v)| match (k, v) {
                    (ion_edn::Edn::Key(k), ion_edn::Edn::Int(ms)) => {
                        k.strip_suffix("-ms").map(|p| (p.to_owned(), *ms as u64))
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }),
        (_, Some(doc)) if ion_edn::get(doc, "error").is_some() => {
            Err(StepError::Refused(match ion_edn::get(doc, "error") {
                Some(ion_edn::Edn::Str(s)) => s.to_string(),
                _ => body,
            }))
        }
        (401, _) => Err(StepError::Unauthorized(body)),
        _ => Err(StepError::Answered { status, body }),
    }
}
