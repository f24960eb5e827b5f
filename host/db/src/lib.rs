//! The Ion Host database: immutable database values of datoms in persistent sorted
//! indexes (`value_db`, `datom`), schema as data (`schema`), the transactor (`expand`
//! turns tx-data into operations, calling ion transaction functions; `transact`
//! resolves and checks them), `pull`, `query`, and durability: `storage` (where
//! databases live: `file:`, `postgres://`, `s3://`), `record` (a transaction's log
//! record), `connection` (commits in one serial order across nodes, following the log),
//! `databases` (the named databases of a storage).
//!
//! Knows nothing of wasmtime: ion functions are reached through the `Functions` trait,
//! which the runtime implements; what it reports goes through `Observer`.

pub mod api;
mod base;
#[cfg(test)]
mod base_tests;
pub mod connection;
pub mod databases;
pub mod datom;
pub mod expand;
pub mod gc;
#[cfg(test)]
mod gc_tests;
pub mod indexing;
pub mod instant;
pub mod pull;
pub mod query;
mod reads;
pub mod record;
mod root;
pub mod schema;
pub mod segment;
pub mod snapshot;
pub mod storage;
pub mod transact;
pub mod value;
pub mod value_db;
mod value_reads;

#[cfg(test)]
mod tests;

pub use connection::Connection;
pub use databases::{Databases, SNAPSHOT_EVERY_BYTES};
pub use storage::StorageUri;
pub use transact::TxReport;
pub use value::Value;
pub use value_db::{Components, Db, Index, View};

use ion_anomaly::{Category, IonError};
use ion_edn::Edn;

/// A call of an ion function in flight.
pub type FnFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Edn<'static>, IonError>> + Send + 'a>,
>;

/// The app's functions, as the database calls them. Implementations check `:allow` and
/// `:xforms` and answer `forbidden` for names outside them.
pub trait Functions: Send + Sync {
    /// Transaction function `name` with the database before the transaction.
    fn tx_fn<'a>(&'a self, name: &'a str, db: &'a Db, args: Vec<Edn<'static>>) -> FnFuture<'a>;
    /// Predicate `name` (attribute predicates get the value; entity predicates the
    /// database after and the entity id).
    fn predicate<'a>(
        &'a self,
        name: &'a str,
        args: Vec<Edn<'static>>,
        db: Option<&'a Db>,
    ) -> FnFuture<'a>;
    /// Xform `name` on a pulled value.
    fn xform<'a>(&'a self, name: &'a str, value: Edn<'static>) -> FnFuture<'a>;
    /// Query function `name` on each row of `rows` (values only, no database), one result
    /// per row: what a clause calls for all its rows at once. By default, a call per row.
    fn predicate_batch<'a>(
        &'a self,
        name: &'a str,
        rows: Vec<Vec<Edn<'static>>>,
    ) -> BatchFuture<'a> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(rows.len());
            for args in rows {
                out.push(self.predicate(name, args, None).await?);
            }
            Ok(out)
        })
    }
}

/// A batch of ion function calls in flight: one result per row.
pub type BatchFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Vec<Edn<'static>>, IonError>> + Send + 'a>,
>;

/// No app: every function call is refused.
pub struct NoFunctions;

impl NoFunctions {
    fn refuse(kind: &str, name: &str) -> FnFuture<'static> {
        let msg = format!(
            "{kind} {name} cannot run: no app is loaded here (pass --app to run the app's functions)"
        );
        Box::pin(async move { Err(IonError::new(Category::Forbidden, msg)) })
    }
}

impl Functions for NoFunctions {
    fn tx_fn<'a>(&'a self, name: &'a str, _db: &'a Db, _args: Vec<Edn<'static>>) -> FnFuture<'a> {
        NoFunctions::refuse("transaction function", name)
    }
    fn predicate<'a>(
        &'a self,
        name: &'a str,
        _args: Vec<Edn<'static>>,
        _db: Option<&'a Db>,
    ) -> FnFuture<'a> {
        // Query functions serve as functions, predicates in queries and attribute and
        // entity predicates alike: name them by what they are.
        NoFunctions::refuse("query function", name)
    }
    fn xform<'a>(&'a self, name: &'a str, _value: Edn<'static>) -> FnFuture<'a> {
        NoFunctions::refuse("xform", name)
    }
}

/// What the database reports as it works (the host turns it into metrics).
pub trait Observer: Send + Sync {
    /// A transaction on database `db` ended, committed (`ok`) or not, after `took`.
    fn transaction(&self, db: &str, ok: bool, took: std::time::Duration);

    /// This node committed database `db` up to `t` (its records are durable): the
    /// moment to tell other nodes, when storage does not.
    fn committed(&self, db: &str, t: i64) {
        let _ = (db, t);
    }
}

/// Reports nothing.
pub struct NoObserver;

impl Observer for NoObserver {
    fn transaction(&self, _db: &str, _ok: bool, _took: std::time::Duration) {}
}

/// Wall-clock milliseconds since the epoch: a transaction's `:db/txInstant`.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
