//! Telling the other nodes of a compute group about this node's commits, for database
//! storages that do not tell them themselves (`s3://`, `file:`; PostgreSQL has NOTIFY).
//! A node learns its peers' admin addresses from their records in the store, refreshed
//! with its own heartbeat, and after each commit POSTs `{:db NAME :t T}` to each peer's
//! `/db/notify` (with the admin token the group's nodes share). Best effort: a lost push
//! costs a peer one poll interval, never data.
//!
//! Owns only the peer list and the pushes; what a peer does with one is `serve::admin`'s.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// How long one push may take before it is dropped.
const PUSH_TIMEOUT: Duration = Duration::from_secs(1);

struct Peers {
    /// Other nodes' admin addresses.
    admins: Vec<String>,
    /// The bearer token their admin APIs take.
    token: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

fn peers() -> &'static RwLock<Option<Arc<Peers>>> {
    static PEERS: OnceLock<RwLock<Option<Arc<Peers>>>> = OnceLock::new();
    PEERS.get_or_init(RwLock::default)
}

/// Sets the other nodes of this node's group (their admin addresses) and the token
/// their admin APIs take.
pub fn set(admins: Vec<String>, token: &str) {
    let mut slot = peers().write().expect("not poisoned");
    let client = match slot.as_ref() {
        Some(p) => p.client.clone(),
        None => Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build_http(),
    };
    *slot = Some(Arc::new(Peers {
        admins,
        token: token.to_owned(),
        client,
    }));
}

/// This node committed database `db` up to `t`: tells its peers, unless the storage
/// does.
pub fn announce(db: &str, t: i64) {
    if crate::node_db::databases().storage_notifies() {
        return;
    }
    let Some(peers) = peers().read().expect("not poisoned").clone() else {
        return;
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let body = Bytes::from(format!("{{:db {}, :t {t}}}", ion_edn::quote(db)));
    for admin in &peers.admins {
        let req = hyper::Request::post(format!("http://{admin}/db/notify"))
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", peers.token),
            )
            .header(hyper::header::CONTENT_TYPE, "application/edn")
            .body(Full::new(body.clone()));
        let Ok(req) = req else { continue };
        let (client, admin) = (peers.client.clone(), admin.clone());
        runtime.spawn(async move {
            match tokio::time::timeout(PUSH_TIMEOUT, client.request(req)).await {
                Ok(Ok(resp)) if resp.status().is_success() => {}
                Ok(Ok(resp)) => {
                    tracing::debug!(peer = admin, status = %resp.status(), "a peer refused a commit notice");
                }
                Ok(Err(e)) => tracing::debug!(peer = admin, "cannot tell a peer of a commit: {e}"),
                Err(_) => tracing::debug!(peer = admin, "a peer did not take a commit notice in time"),
            }
        });
    }
}
