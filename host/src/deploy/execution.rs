//! A deploy execution as the store records it: which revision goes to which group, each
//! node's step (status, phase timings, error, rollback), and the overall status, in the
//! reference's Step Functions vocabulary (`RUNNING`, `SUCCEEDED`, `FAILED`). Rewritten
//! after every step, so `host deploy-status` sees progress as it happens.

use super::records::{RevRef, now_ms, now_rfc3339};
use crate::store::Store;
use crate::store::manifest::{Fields, map};
use anyhow::{Result, anyhow, bail};
use ion_edn::{Edn, keyword, string};

/// One node's part in an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStep {
    /// The node's id.
    pub id: String,
    /// Its admin address.
    pub admin: String,
    /// `PENDING`, `RUNNING`, `SUCCEEDED`, `FAILED`, `ROLLED_BACK` or `ROLLBACK_FAILED`.
    pub status: String,
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
    /// `RUNNING`, `SUCCEEDED` or `FAILED`.
    pub status: String,
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
            status: "RUNNING".into(),
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
                    ("status", string(n.status.clone())),
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
            ("status", string(self.status.clone())),
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
