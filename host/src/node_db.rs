//! The node's databases: one `ion_db::Databases` per process, shared by every app it
//! loads, on the storage the node was told to use (`--db-storage`, `ION_DB_STORAGE`, the
//! group's `:db-storage`; default `file:$ION_HOME/db`), reporting transactions to the
//! node's metrics and its commits to its peers. The database crate knows nothing of the
//! node; this is where the two meet.

use crate::aws::{AwsTarget, NoRegion};
use crate::db::storage::{
    FileStorage, PostgresStorage, S3Storage, Storage, StorageError, UriError,
};
use crate::db::{Databases, Observer, StorageUri};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The node's metrics (and peers), as the database reports to them.
struct Metrics;

impl Observer for Metrics {
    fn transaction(&self, db: &str, ok: bool, took: Duration) {
        crate::metrics::metrics().transaction(db, ok, took);
    }

    fn committed(&self, db: &str, t: i64) {
        crate::deploy::peers::announce(db, t);
    }
}

static NODE: OnceLock<Arc<Databases>> = OnceLock::new();

/// Why the node's database storage cannot be chosen or opened.
#[derive(Debug, thiserror::Error)]
pub enum NodeDbError {
    /// `--db-storage` (or `ION_DB_STORAGE`) is not a storage URI.
    #[error("--db-storage (or ION_DB_STORAGE): {0}")]
    Flag(#[source] UriError),
    /// The PostgreSQL storage cannot be set up.
    #[error("{0}")]
    Postgres(#[source] StorageError),
    /// S3 storage with no region.
    #[error("{0}")]
    Aws(#[from] NoRegion),
    /// The process already uses another storage.
    #[error("this process already uses database storage {current}, not {asked}")]
    OtherStorage {
        /// The storage in use.
        current: String,
        /// The storage asked for.
        asked: String,
    },
}

/// Where databases live when nothing names a storage: `file:$ION_HOME/db`.
pub fn default_uri() -> StorageUri {
    StorageUri::File(crate::store::ion_home().join("db"))
}

/// The storage URI from `--db-storage` (or `ION_DB_STORAGE`, which clap reads into the
/// same flag), checked: the error names the flag and what was expected.
pub fn parse_flag(text: Option<&str>) -> Result<Option<StorageUri>, NodeDbError> {
    text.map(|t| StorageUri::parse(t).map_err(NodeDbError::Flag))
        .transpose()
}

/// Opens the databases in `uri`, reporting to the node's metrics. S3 is reached like the
/// revision store: AWS_REGION, the usual credential chain, and AWS_ENDPOINT_URL_S3 for
/// an S3-compatible server.
pub async fn open(uri: &StorageUri) -> Result<Databases, NodeDbError> {
    let storage: Arc<dyn Storage> = match uri {
        StorageUri::File(dir) => Arc::new(FileStorage::new(dir)),
        StorageUri::Postgres(text) => {
            Arc::new(PostgresStorage::new(text, uri.describe()).map_err(NodeDbError::Postgres)?)
        }
        StorageUri::S3 { bucket, prefix } => {
            let target = AwsTarget {
                region: None,
                endpoint: std::env::var("AWS_ENDPOINT_URL_S3").ok(),
                profile: None,
            };
            let shared = target
                .sdk_config(&format!("database storage {}", uri.describe()))
                .await?;
            // A commit waits on these requests: give up sooner than the store does, so a
            // refusing S3 fails the transaction as unavailable rather than holding it.
            let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(3))
                .operation_timeout(std::time::Duration::from_secs(10))
                .build();
            let config = aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(target.endpoint.is_some())
                .timeout_config(timeouts)
                .build();
            Arc::new(S3Storage::new(
                aws_sdk_s3::Client::from_conf(config),
                bucket,
                prefix,
            ))
        }
    };
    Ok(Databases::new(storage).with_observer(Arc::new(Metrics)))
}

/// Makes `uri` this process's database storage (`None`: keep what was chosen, or the
/// default). Called before anything uses `databases()`; choosing another storage after
/// one is in use is refused.
pub async fn init(uri: Option<StorageUri>) -> Result<Arc<Databases>, NodeDbError> {
    let Some(uri) = uri else {
        return Ok(databases());
    };
    if let Some(dbs) = NODE.get() {
        if dbs.describe() == uri.describe() {
            return Ok(dbs.clone());
        }
        return Err(NodeDbError::OtherStorage {
            current: dbs.describe().to_owned(),
            asked: uri.describe(),
        });
    }
    let dbs = Arc::new(open(&uri).await?);
    tracing::info!(storage = dbs.describe(), "database storage");
    Ok(NODE.get_or_init(|| dbs).clone())
}

/// This process's databases (a database is open once per process): those `init` chose,
/// or `file:$ION_HOME/db` when nothing did.
pub fn databases() -> Arc<Databases> {
    NODE.get_or_init(|| {
        Arc::new(
            Databases::file(crate::store::ion_home().join("db")).with_observer(Arc::new(Metrics)),
        )
    })
    .clone()
}
