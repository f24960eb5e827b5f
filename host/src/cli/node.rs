//! `host serve --group G --store S`: a node of a stored compute group. It loads the
//! group's current revision (if any), registers itself in the store once its listeners
//! are bound (then prints the readiness line), keeps its record fresh, takes deploy
//! steps on its admin API, and on SIGTERM/SIGINT finishes calls in flight and
//! unregisters.

use super::Failure;
use super::app::tokio_runtime;
use super::serve::{ServeArgs, spawn_signal_watch};
use crate::config::InstanceSettings;
use crate::db::StorageUri;
use crate::deploy::node::{GroupDeployer, keep_registered, load_current, new_record};
use crate::deploy::records::Group;
use crate::runtime::Runtime;
use crate::serve::Node;
use std::io::Write;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub(crate) fn run(args: ServeArgs) -> Result<(), Failure> {
    let group_name = args.app.group.clone().expect("a group node has --group");
    let store = args.app.store()?;
    let params = args.app.cached_params()?;
    let listeners = args.listen.listeners(true, true)?;
    if listeners.admin.is_none() {
        return Err(Failure::Setup(
            "a node of a compute group needs --admin ADDR: deploys reach it there".into(),
        ));
    }
    let setup = |e: anyhow::Error| Failure::Setup(format!("{e:#}"));
    tokio_runtime()?.block_on(async {
        let group = Group::require(&store, &group_name).await.map_err(setup)?;
        let settings = InstanceSettings::of_type(&group.instance_type).ok_or_else(|| {
            Failure::Setup(format!(
                "compute group {group_name}: unknown :instance-type {:?} (expected one of {})",
                group.instance_type,
                InstanceSettings::type_names()
            ))
        })?;
        let storage = db_storage(&group, args.app.db_storage.as_deref())?;
        crate::node_db::init(storage)
            .await
            .map_err(super::app::setup_error)?;
        let settings = args.reuse.settings(settings);
        let runtime = Runtime::new(settings).map_err(|e| Failure::Setup(format!("{e:#}")))?;
        let deployer = Arc::new(GroupDeployer {
            store: store.clone(),
            runtime,
            group: group_name.clone(),
            params,
            params_prefix: args.app.params_prefix.clone(),
        });
        let slot = match load_current(&deployer).await {
            Ok(slot) => slot,
            Err(e) => {
                tracing::error!(group = group_name, "serving no revision: {e:#}");
                None
            }
        };
        let node = Node::in_group(slot, group_name.clone(), Some(deployer));
        let shutdown = CancellationToken::new();
        spawn_signal_watch(shutdown.clone());
        let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
        let registration = {
            let (store, node, shutdown, group_name) = (
                store.clone(),
                node.clone(),
                shutdown.clone(),
                group_name.clone(),
            );
            let token = listeners.admin_token.clone().unwrap_or_default();
            tokio::spawn(async move {
                let Ok(bound) = bound_rx.await else { return };
                let bound: crate::serve::Bound = bound;
                let show = |a: Option<std::net::SocketAddr>| a.map(|a| a.to_string());
                let record = new_record(
                    &group_name,
                    show(bound.admin).unwrap_or_default(),
                    show(bound.http_direct),
                    show(bound.lambda_api),
                );
                crate::logs::set_node(&record.id);
                if let Err(e) = record.put(&store).await {
                    tracing::error!("cannot register the node in {}: {e:#}", store.describe());
                }
                let line = bound.to_edn().replacen(
                    '{',
                    &format!("{{:node {}, ", ion_edn::quote(&record.id)),
                    1,
                );
                {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
                }
                tracing::info!(node = record.id, group = group_name, addresses = %line, "serving");
                keep_registered(store, node, record, token, shutdown).await;
            })
        };
        crate::serve::serve(node, listeners, shutdown.clone(), |bound| {
            let _ = bound_tx.send(bound.clone());
        })
        .await
        .map_err(setup)?;
        shutdown.cancel();
        let _ = registration.await;
        tracing::info!("stopped");
        Ok(())
    })
}

/// The storage a node of `group` keeps databases in: the group's `:db-storage`, or this
/// node's `--db-storage` (`ION_DB_STORAGE`) when the group names none. Both may be given
/// when they name the same storage (the node's may carry the password the group record
/// leaves out); a node told to use another storage than its group's is refused, since
/// it would serve different databases than its peers.
fn db_storage(group: &Group, flag: Option<&str>) -> Result<Option<StorageUri>, Failure> {
    let flag = crate::node_db::parse_flag(flag).map_err(super::app::setup_error)?;
    let of_group = group
        .db_storage
        .as_deref()
        .map(|u| {
            StorageUri::parse(u).map_err(|e| {
                Failure::Setup(format!("compute group {} :db-storage: {e}", group.name))
            })
        })
        .transpose()?;
    match (flag, of_group) {
        (Some(mine), Some(theirs)) if mine.describe() != theirs.describe() => {
            Err(Failure::Setup(format!(
                "--db-storage (or ION_DB_STORAGE) names {}, but compute group {} keeps its databases in {}: every node of a group uses the group's storage",
                mine.describe(),
                group.name,
                theirs.describe()
            )))
        }
        (Some(mine), _) => Ok(Some(mine)),
        (None, theirs) => Ok(theirs),
    }
}
