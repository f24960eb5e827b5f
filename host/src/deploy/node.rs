//! The node's side of a compute group: registering in the store and keeping the record
//! fresh, and loading a revision when the orchestrator asks (fetch the parts it lacks,
//! compile or take compiled code from the cache, link, describe, run `init`, check the
//! config, each phase timed; a refusal is the `DeployError` of its phase). Serving and
//! swapping are the serve module's.

use super::records::{Group, NodeRecord, RevRef, now_ms, now_rfc3339};
use crate::config::{EnvironmentMap, IonConfig};
use crate::params::CachedParams;
use crate::runtime::{AppContext, LoadedApp, Placement, Runtime};
use crate::serve::{DeployError, Deployer, Loaded, Node, Slot};
use crate::store::Store;
use anyhow::{Result, anyhow};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a node refreshes its record.
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// Loads revisions of a group's app on this node.
pub struct GroupDeployer {
    /// The store revisions come from.
    pub store: Store,
    /// The node's runtime.
    pub runtime: Runtime,
    /// The group.
    pub group: String,
    /// Where get-params reads.
    pub params: Arc<CachedParams>,
    /// The first segment of parameter paths.
    pub params_prefix: String,
}

impl GroupDeployer {
    /// Loads `target` (or nothing, for `None`), with the group's environment map as it
    /// is in the store now.
    pub async fn load_revision(&self, target: Option<&RevRef>) -> Result<Loaded, DeployError> {
        let Some(target) = target else {
            return Ok(Loaded {
                slot: None,
                timings: Vec::new(),
            });
        };
        let started = Instant::now();
        let group = Group::require(&self.store, &self.group)
            .await
            .map_err(DeployError::Group)?;
        let manifest = self
            .store
            .get_manifest(&target.app_name, &target.name)
            .await
            .map_err(DeployError::Manifest)?
            .ok_or_else(|| DeployError::NoRevision {
                store: self.store.describe(),
                revision: target.describe(),
            })?;
        let bytes = self
            .store
            .component(&manifest)
            .await
            .map_err(DeployError::Fetch)?;
        let fetch = started.elapsed();
        let source = std::path::PathBuf::from(format!("{} ion-config.edn", target.describe()));
        let config =
            IonConfig::parse(&manifest.ion_config, &source).map_err(DeployError::Config)?;
        config
            .validate_for_group(&self.group)
            .map_err(DeployError::NotForGroup)?;
        let env_map =
            EnvironmentMap::parse(&group.env, &format!("compute group {} :env", self.group))
                .map_err(DeployError::Config)?;
        let placement = Placement {
            group: Some(self.group.clone()),
            env_map,
            dev_mode: false,
            params: Some(self.params.clone()),
            params_prefix: self.params_prefix.clone(),
            databases: Some(crate::node_db::databases()),
        };
        let context = AppContext::new(&config, placement).map_err(DeployError::Config)?;
        let compiling = Instant::now();
        let component = LoadedApp::compile(&self.runtime, bytes)
            .await
            .map_err(DeployError::Compile)?;
        let compile = compiling.elapsed();
        let validating = Instant::now();
        let app = LoadedApp::load_compiled(&self.runtime, &component, config, context)
            .await
            .map_err(DeployError::Validate)?;
        let validate = validating.elapsed();
        // The node's databases are open (their logs replayed, up to the latest record in
        // storage) before the revision serves, so its first requests never wait on a
        // replay and never see an old value.
        let opening = Instant::now();
        open_databases().await?;
        let databases = opening.elapsed();
        let ms = |d: Duration| d.as_millis() as u64;
        Ok(Loaded {
            slot: Some(Slot::new(app, target.describe())),
            timings: vec![
                ("fetch", ms(fetch)),
                ("compile", ms(compile)),
                ("validate", ms(validate)),
                ("databases", ms(databases)),
            ],
        })
    }
}

/// Opens every database in the node's storage (replaying each log to its end), so
/// requests after this see every transaction acknowledged before it.
pub async fn open_databases() -> Result<(), DeployError> {
    let dbs = crate::node_db::databases();
    let names = dbs
        .list()
        .await
        .map_err(|source| DeployError::ListDatabases {
            storage: dbs.describe().to_owned(),
            source,
        })?;
    for name in names {
        if let Err(source) = dbs.connect(&name).await {
            return Err(DeployError::OpenDatabase { name, source });
        }
    }
    Ok(())
}

impl Deployer for GroupDeployer {
    fn load<'a>(
        &'a self,
        target: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Loaded, DeployError>> + Send + 'a>>
    {
        Box::pin(async move {
            let doc = ion_edn::read(target).map_err(DeployError::NotEdn)?;
            if matches!(ion_edn::get(&doc, "none"), Some(ion_edn::Edn::Bool(true))) {
                return self.load_revision(None).await;
            }
            let fields = crate::store::manifest::Fields {
                source: "the deploy request",
                path: "",
            };
            let target = RevRef::from_edn(&doc, &fields).map_err(DeployError::Target)?;
            let started = Instant::now();
            let loaded = self.load_revision(Some(&target)).await;
            let metrics = crate::metrics::metrics();
            match &loaded {
                Ok(l) => {
                    for (step, ms) in &l.timings {
                        metrics.deploy_step(step, true, Duration::from_millis(*ms));
                    }
                }
                Err(_) => metrics.deploy_step("load", false, started.elapsed()),
            }
            loaded
        })
    }

    fn console_state(
        &self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<serde_json::Value, DeployError>> + Send + '_>,
    > {
        Box::pin(async move {
            super::console::state(&self.store)
                .await
                .map_err(DeployError::Console)
        })
    }
}

/// Registers `node` in the store and refreshes its record every `HEARTBEAT`, and at once
/// after each swap, until `stop`; then removes it.
pub async fn keep_registered(
    store: Store,
    node: Arc<Node>,
    mut record: NodeRecord,
    token: String,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut swaps = node.swaps();
    loop {
        let swapped = *swaps.borrow_and_update();
        record.heartbeat_ms = now_ms();
        record.revision = node.current().map(|s| s.revision.clone());
        let metrics = crate::metrics::metrics();
        record.calls = metrics.total_calls();
        record.in_flight = metrics.instances_alive().max(0) as u64;
        match record.put(&store).await {
            Ok(()) => node.recorded(swapped),
            Err(e) => tracing::warn!(node = record.id, "cannot refresh the node's record: {e:#}"),
        }
        // The group's other live nodes hear of this node's commits (see `peers`), unless
        // the storage tells them itself: then the peer list is not needed.
        if !crate::node_db::databases().storage_notifies() {
            match NodeRecord::list(&store, &record.group).await {
                Ok(nodes) => {
                    let admins = nodes
                        .into_iter()
                        .filter(|n| n.id != record.id && n.is_live(now_ms()))
                        .map(|n| n.admin)
                        .collect();
                    super::peers::set(admins, &token);
                }
                Err(e) => tracing::debug!("cannot list the group's nodes: {e:#}"),
            }
        }
        // A swap refreshes the record at once: the group's view changes with the node.
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(HEARTBEAT) => {}
            _ = swaps.changed() => {}
        }
    }
    if let Err(e) = record.remove(&store).await {
        tracing::warn!(node = record.id, "cannot remove the node's record: {e:#}");
    }
}

/// A new node record for `group` with the bound addresses.
pub fn new_record(
    group: &str,
    admin: String,
    http_direct: Option<String>,
    lambda_api: Option<String>,
) -> NodeRecord {
    NodeRecord {
        id: format!("node-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        group: group.to_owned(),
        admin,
        http_direct,
        lambda_api,
        revision: None,
        started_at: now_rfc3339(),
        heartbeat_ms: now_ms(),
        calls: 0,
        in_flight: 0,
    }
}

/// The group's current revision loaded for a node starting up (nothing when none was
/// deployed; an error when it cannot load).
pub async fn load_current(deployer: &GroupDeployer) -> Result<Option<Slot>> {
    let group = Group::require(&deployer.store, &deployer.group).await?;
    let loaded = deployer
        .load_revision(group.current.as_ref())
        .await
        .map_err(|e| anyhow!("the group's current revision does not load: {e}"))?;
    Ok(loaded.slot)
}
