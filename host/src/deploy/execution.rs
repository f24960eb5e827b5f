//! A deploy execution as the store records it: which revision goes to which group, each
//! node's step (status, phase timings, error, rollback), and the overall status, in the
//! reference's Step Functions vocabulary (`RUNNING`, `SUCCEEDED`, `FAILED`). Rewritten
//! after every step, so `host deploy-status` sees progress as it happens.

use super::records::{RevRef, now_ms, now_rfc3339};
use crate::store::Store;
use crate::store::manifest::{Fields, map};
use anyhow::{Result, anyhow, bail};
use ion_edn::{Edn, keyword, string};

/// An execution's overall status, in the reference's Step Functions vocabulary. Its text
/// (`as_str`, `Display`, serde, the EDN record) is what `host deploy-status` prints as
/// `:deploy-status` and `:code-deploy-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Nodes are still being deployed to.
    Running,
    /// Every node serves the target; the group's record names it.
    Succeeded,
    /// A node refused (or the orchestrator stopped); the switched nodes were rolled back.
    Failed,
}

impl ExecutionStatus {
    /// Every status, for tests and tables.
    pub const ALL: [ExecutionStatus; 3] = [
        ExecutionStatus::Running,
        ExecutionStatus::Succeeded,
        ExecutionStatus::Failed,
    ];

    /// The status as the record and `host deploy-status` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
        }
    }

    /// Whether `host deploy-status` reports this status as a failure (exit 1).
    pub fn is_failure(self) -> bool {
        match self {
            ExecutionStatus::Running | ExecutionStatus::Succeeded => false,
            ExecutionStatus::Failed => true,
        }
    }
}

/// One node's status within an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeStatus {
    /// Not reached yet.
    Pending,
    /// Loading the target now.
    Running,
    /// Serves the target.
    Succeeded,
    /// Refused the target (its error says why).
    Failed,
    /// Switched, then sent back to the previous revision after a later node failed.
    RolledBack,
    /// Switched, and refused to go back (its error says why).
    RollbackFailed,
}

impl NodeStatus {
    /// Every status, for tests and tables.
    pub const ALL: [NodeStatus; 6] = [
        NodeStatus::Pending,
        NodeStatus::Running,
        NodeStatus::Succeeded,
        NodeStatus::Failed,
        NodeStatus::RolledBack,
        NodeStatus::RollbackFailed,
    ];

    /// The status as the record spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Pending => "PENDING",
            NodeStatus::Running => "RUNNING",
            NodeStatus::Succeeded => "SUCCEEDED",
            NodeStatus::Failed => "FAILED",
            NodeStatus::RolledBack => "ROLLED_BACK",
            NodeStatus::RollbackFailed => "ROLLBACK_FAILED",
        }
    }

    /// Whether the node's step is over (what `deploy-status --wait` counts as done).
    pub fn is_done(self) -> bool {
        match self {
            NodeStatus::Pending | NodeStatus::Running => false,
            NodeStatus::Succeeded
            | NodeStatus::Failed
            | NodeStatus::RolledBack
            | NodeStatus::RollbackFailed => true,
        }
    }
}

/// A status text that names no status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a deploy status")]
pub struct UnknownStatus(pub String);

macro_rules! status_text {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $t {
            type Err = UnknownStatus;
            fn from_str(text: &str) -> Result<Self, UnknownStatus> {
                <$t>::ALL
                    .into_iter()
                    .find(|s| s.as_str() == text)
                    .ok_or_else(|| UnknownStatus(text.to_owned()))
            }
        }
    };
}
status_text!(ExecutionStatus);
status_text!(NodeStatus);

/// One node's part in an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStep {
    /// The node's id.
    pub id: String,
    /// Its admin address.
    pub admin: String,
    /// Where its step is.
    pub status: NodeStatus,
    /// Phase timings in milliseconds (`fetch`, `compile`, `validate`, `swap`, `total`).
    pub timings: Vec<(String, u64)>,
    /// Why the node refused the revision (or its rollback failed).
    pub error: Option<String>,
}

/// A deploy execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// Its id: `{group}-{revision}-{millis}`.
    pub id: String,
    /// The group.
    pub group: String,
    /// What is deployed.
    pub target: RevRef,
    /// What the group served before (where a failure rolls back to).
    pub previous: Option<RevRef>,
    /// Where the execution is.
    pub status: ExecutionStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started and, once over, ended (RFC 3339).
    pub started_at: String,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Each node's step, in deploy order.
    pub nodes: Vec<NodeStep>,
}

impl Execution {
    /// A new execution of `target` to `group`.
    pub fn new(group: &str, target: RevRef, previous: Option<RevRef>) -> Execution {
        let short: String = target.name.as_str().chars().take(12).collect();
        Execution {
            id: format!("{group}-{short}-{}", now_ms()),
            group: group.to_owned(),
            target,
            previous,
            status: ExecutionStatus::Running,
            error: None,
            started_at: now_rfc3339(),
            finished_at: None,
            nodes: Vec::new(),
        }
    }

    /// Its ARN, in the shape of the reference's Step Functions execution ARNs.
    pub fn arn(&self) -> String {
        format!(
            "arn:ion:states:local:execution:ion-{}:{}",
            self.group, self.id
        )
    }

    /// The group and id an ARN names.
    pub fn parse_arn(arn: &str) -> Result<(String, String)> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", "ion", "states", _, "execution", machine, id]
                if machine.starts_with("ion-") =>
            {
                Ok((machine["ion-".len()..].to_owned(), (*id).to_owned()))
            }
            _ => bail!(
                "{arn:?} is not an execution ARN (expected arn:ion:states:local:execution:ion-GROUP:ID, as host deploy prints)"
            ),
        }
    }

    fn key(group: &str, id: &str) -> String {
        format!("executions/{group}/{id}.edn")
    }

    /// Writes the execution as it stands.
    pub async fn save(&self, store: &Store) -> Result<()> {
        let steps = self
            .nodes
            .iter()
            .map(|n| {
                let timings = Edn::Map(
                    n.timings
                        .iter()
                        .map(|(k, v)| (keyword(&format!("{k}-ms")), Edn::Int(*v as i64)))
                        .collect(),
                );
                map([
                    ("id", string(n.id.clone())),
                    ("admin", string(n.admin.clone())),
                    ("status", string(n.status.as_str())),
                    ("timings", timings),
                    ("error", n.error.clone().map_or(Edn::Nil, string)),
                ])
            })
            .collect();
        let doc = map([
            ("execution-arn", string(self.arn())),
            ("id", string(self.id.clone())),
            ("group", string(self.group.clone())),
            ("target", self.target.to_edn()),
            (
                "previous",
                self.previous.as_ref().map_or(Edn::Nil, RevRef::to_edn),
            ),
            ("status", string(self.status.as_str())),
            ("error", self.error.clone().map_or(Edn::Nil, string)),
            ("started-at", string(self.started_at.clone())),
            (
                "finished-at",
                self.finished_at.clone().map_or(Edn::Nil, string),
            ),
            ("nodes", Edn::Vector(steps)),
        ]);
        store
            .backend()
            .put(
                &Execution::key(&self.group, &self.id),
                (ion_edn::print(&doc) + "\n").into_bytes(),
                false,
            )
            .await
            .map(|_| ())
    }

    /// The execution an ARN names, as EDN (the record as stored).
    pub async fn load_doc(store: &Store, arn: &str) -> Result<Edn<'static>> {
        let (group, id) = Execution::parse_arn(arn)?;
        let key = Execution::key(&group, &id);
        let bytes = store
            .backend()
            .get(&key)
            .await?
            .ok_or_else(|| anyhow!("the store {} has no execution {arn}", store.describe()))?;
        let source = format!("{}/{key}", store.describe());
        let doc = super::records::read_doc(bytes, &source)?;
        Fields {
            source: &source,
            path: "",
        }
        .str(&doc, "status")?;
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts the records, `host deploy-status` and the console show: changing one
    /// breaks every stored execution and every script reading them.
    #[test]
    fn statuses_keep_their_text_and_exit_mapping() {
        let execution: Vec<(&str, bool)> = ExecutionStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.is_failure()))
            .collect();
        assert_eq!(
            execution,
            [("RUNNING", false), ("SUCCEEDED", false), ("FAILED", true)]
        );
        let nodes: Vec<(&str, bool)> = NodeStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.is_done()))
            .collect();
        assert_eq!(
            nodes,
            [
                ("PENDING", false),
                ("RUNNING", false),
                ("SUCCEEDED", true),
                ("FAILED", true),
                ("ROLLED_BACK", true),
                ("ROLLBACK_FAILED", true)
            ]
        );
        for s in ExecutionStatus::ALL {
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(s.as_str().parse(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        for s in NodeStatus::ALL {
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(s.as_str().parse(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(
            "failed".parse::<ExecutionStatus>(),
            Err(UnknownStatus("failed".into()))
        );
    }
}
