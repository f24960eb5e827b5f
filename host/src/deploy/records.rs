//! What the store holds about compute groups: the group (environment map, instance
//! type, current and previous revision), its nodes (registered by `host serve --group`,
//! kept fresh by heartbeats) and deploy executions. Each is one EDN object; reading
//! checks every field and names the one that is wrong.
//!
//! ```text
//! groups/<group>.edn                     the group
//! groups/<group>/nodes/<node-id>.edn     a node
//! executions/<group>/<execution-id>.edn  a deploy execution
//! ```

use crate::store::manifest::{Fields, map};
use crate::store::{RevName, Store};
use anyhow::{Context as _, Result, anyhow, bail};
use ion_edn::{Edn, string};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A node whose last heartbeat is older than this is not deployed to.
pub const NODE_LIVENESS: Duration = Duration::from_secs(10);

/// Milliseconds since the epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// RFC 3339, now.
pub fn now_rfc3339() -> String {
    aws_sdk_s3::primitives::DateTime::from(SystemTime::now())
        .fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// A revision of an app, as groups and executions name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevRef {
    /// The app.
    pub app_name: String,
    /// The revision.
    pub name: RevName,
}

impl RevRef {
    /// `{:app-name … :rev|:uname …}`.
    pub(crate) fn to_edn(&self) -> Edn<'static> {
        map([
            ("app-name", string(self.app_name.clone())),
            (self.name.key(), string(self.name.as_str())),
        ])
    }

    /// Reads `{:app-name … :rev|:uname …}`; errors name `f`'s source and path.
    pub(crate) fn from_edn(v: &Edn<'_>, f: &Fields<'_>) -> Result<RevRef> {
        let name = match (f.opt_str(v, "rev")?, f.opt_str(v, "uname")?) {
            (Some(r), None) => RevName::Rev(r),
            (None, Some(u)) => RevName::Uname(u),
            _ => bail!(
                "{}: {}expected exactly one of :rev and :uname",
                f.source,
                f.path
            ),
        };
        Ok(RevRef {
            app_name: f.str(v, "app-name")?,
            name,
        })
    }

    /// Like `from_edn`, with absent or nil meaning none.
    pub(crate) fn opt(v: Option<&Edn<'_>>, f: &Fields<'_>) -> Result<Option<RevRef>> {
        match v {
            None | Some(Edn::Nil) => Ok(None),
            Some(v) => RevRef::from_edn(v, f).map(Some),
        }
    }

    /// `app-name :uname name`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} :{} {}",
            self.app_name,
            self.name.key(),
            self.name.as_str()
        )
    }
}

fn opt_edn(v: &Option<RevRef>) -> Edn<'static> {
    v.as_ref().map_or(Edn::Nil, RevRef::to_edn)
}

/// An EDN document stored as `bytes`; errors name `source`.
pub(crate) fn read_doc(bytes: Vec<u8>, source: &str) -> Result<Edn<'static>> {
    let text = String::from_utf8(bytes).with_context(|| format!("{source}: not UTF-8"))?;
    ion_edn::read(&text).map_err(|e| anyhow!("{source}: not EDN: {e}"))
}

/// A compute group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// The environment map its nodes' ions get from `get-env`, as EDN text.
    pub env: String,
    /// Its instance type (see `config::INSTANCE_TYPES`).
    pub instance_type: String,
    /// The storage its nodes keep databases in (a storage URI), if the group names one.
    pub db_storage: Option<String>,
    /// The revision its nodes serve, once one was deployed.
    pub current: Option<RevRef>,
    /// The revision before that.
    pub previous: Option<RevRef>,
    /// When it was last changed.
    pub updated_at: String,
}

impl Group {
    fn key(name: &str) -> String {
        format!("groups/{name}.edn")
    }

    /// The group called `name`, if the store has it.
    pub async fn get(store: &Store, name: &str) -> Result<Option<Group>> {
        let key = Group::key(name);
        let Some(bytes) = store.backend().get(&key).await? else {
            return Ok(None);
        };
        let source = format!("{}/{key}", store.describe());
        let doc = read_doc(bytes, &source)?;
        let f = Fields {
            source: &source,
            path: "",
        };
        let env = f.get(&doc, "env")?;
        if !matches!(env, Edn::Map(_)) {
            bail!("{source}: :env: expected a map");
        }
        Ok(Some(Group {
            name: f.str(&doc, "name")?,
            env: ion_edn::print(env),
            instance_type: f.str(&doc, "instance-type")?,
            db_storage: f.opt_str(&doc, "db-storage")?,
            current: RevRef::opt(ion_edn::get(&doc, "current"), &f)?,
            previous: RevRef::opt(ion_edn::get(&doc, "previous"), &f)?,
            updated_at: f.str(&doc, "updated-at")?,
        }))
    }

    /// The group called `name`, or an error that says how to make it.
    pub async fn require(store: &Store, name: &str) -> Result<Group> {
        Group::get(store, name).await?.ok_or_else(|| {
            anyhow!(
                "the store {} has no compute group {name:?}; create it with `host group create {name} --env EDN`",
                store.describe()
            )
        })
    }

    /// Writes the group; with `create`, only if no group of that name exists (`false` then).
    pub async fn put(&self, store: &Store, create: bool) -> Result<bool> {
        let env = ion_edn::read(&self.env).map_err(|e| anyhow!("the environment map: {e}"))?;
        let doc = map([
            ("name", string(self.name.clone())),
            ("env", env),
            ("instance-type", string(self.instance_type.clone())),
            (
                "db-storage",
                self.db_storage.clone().map_or(Edn::Nil, string),
            ),
            ("current", opt_edn(&self.current)),
            ("previous", opt_edn(&self.previous)),
            ("updated-at", string(self.updated_at.clone())),
        ]);
        store
            .backend()
            .put(
                &Group::key(&self.name),
                (ion_edn::print(&doc) + "\n").into_bytes(),
                create,
            )
            .await
    }
}

/// A node of a compute group, as it registers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// Its id (unique per process).
    pub id: String,
    /// Its group.
    pub group: String,
    /// Where its admin API listens.
    pub admin: String,
    /// Where HTTP Direct listens, if it does.
    pub http_direct: Option<String>,
    /// Where the Lambda API listens, if it does.
    pub lambda_api: Option<String>,
    /// What it serves now (`app :uname name`), if anything.
    pub revision: Option<String>,
    /// When it started.
    pub started_at: String,
    /// Its last heartbeat, in milliseconds since the epoch.
    pub heartbeat_ms: u64,
    /// Calls it had made by its last heartbeat (its load, as a rate between heartbeats).
    pub calls: u64,
    /// Instances alive at its last heartbeat.
    pub in_flight: u64,
}

/// A non-negative count in `doc`, or 0 when absent.
fn count(doc: &Edn<'_>, key: &str) -> u64 {
    match ion_edn::get(doc, key) {
        Some(Edn::Int(n)) if *n >= 0 => *n as u64,
        _ => 0,
    }
}

impl NodeRecord {
    fn key(group: &str, id: &str) -> String {
        format!("groups/{group}/nodes/{id}.edn")
    }

    /// Writes (or refreshes) the record.
    pub async fn put(&self, store: &Store) -> Result<()> {
        let opt = |v: &Option<String>| v.clone().map_or(Edn::Nil, string);
        let doc = map([
            ("id", string(self.id.clone())),
            ("group", string(self.group.clone())),
            ("admin", string(self.admin.clone())),
            ("http-direct", opt(&self.http_direct)),
            ("lambda-api", opt(&self.lambda_api)),
            ("revision", opt(&self.revision)),
            ("started-at", string(self.started_at.clone())),
            ("heartbeat-ms", Edn::Int(self.heartbeat_ms as i64)),
            ("calls", Edn::Int(self.calls as i64)),
            ("in-flight", Edn::Int(self.in_flight as i64)),
        ]);
        store
            .backend()
            .put(
                &NodeRecord::key(&self.group, &self.id),
                (ion_edn::print(&doc) + "\n").into_bytes(),
                false,
            )
            .await
            .map(|_| ())
    }

    /// Removes the record (a node stopping cleanly).
    pub async fn remove(&self, store: &Store) -> Result<()> {
        store
            .backend()
            .delete(&NodeRecord::key(&self.group, &self.id))
            .await
    }

    /// Every registered node of `group`, in id order.
    pub async fn list(store: &Store, group: &str) -> Result<Vec<NodeRecord>> {
        let mut out = Vec::new();
        for listed in store
            .backend()
            .list(&format!("groups/{group}/nodes/"))
            .await?
        {
            let Some(bytes) = store.backend().get(&listed.key).await? else {
                continue;
            };
            let source = format!("{}/{}", store.describe(), listed.key);
            let doc = read_doc(bytes, &source)?;
            let f = Fields {
                source: &source,
                path: "",
            };
            out.push(NodeRecord {
                id: f.str(&doc, "id")?,
                group: f.str(&doc, "group")?,
                admin: f.str(&doc, "admin")?,
                http_direct: f.opt_str(&doc, "http-direct")?,
                lambda_api: f.opt_str(&doc, "lambda-api")?,
                revision: f.opt_str(&doc, "revision")?,
                started_at: f.str(&doc, "started-at")?,
                heartbeat_ms: f.size(&doc, "heartbeat-ms")?,
                // Load figures came later than the record: a record without them shows none.
                calls: count(&doc, "calls"),
                in_flight: count(&doc, "in-flight"),
            });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Whether its heartbeat is recent.
    pub fn is_live(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.heartbeat_ms) <= NODE_LIVENESS.as_millis() as u64
    }
}
