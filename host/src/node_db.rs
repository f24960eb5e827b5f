//! The node's databases: one `ion_db::Databases` per process, shared by every app it
//! loads, under `$ION_HOME/db`, reporting transactions to the node's metrics. The database
//! crate knows nothing of the node; this is where the two meet.

use crate::db::{Databases, Observer};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The node's metrics, as the database reports to them.
struct Metrics;

impl Observer for Metrics {
    fn transaction(&self, db: &str, ok: bool, took: Duration) {
        crate::metrics::metrics().transaction(db, ok, took);
    }
}

/// This process's databases (a database's log is locked by one process, so one registry
/// per process).
pub fn databases() -> Arc<Databases> {
    static NODE: OnceLock<Arc<Databases>> = OnceLock::new();
    NODE.get_or_init(|| Arc::new(at(&crate::store::ion_home().join("db"))))
        .clone()
}

/// The databases under `dir`, reporting to the node's metrics.
pub fn at(dir: &std::path::Path) -> Databases {
    Databases::new(dir).with_observer(Arc::new(Metrics))
}
