//! Host side of `ion:host/db`: the database and connection handles an ion holds.
//!
//! The embedded database is not part of this node yet, so every operation answers
//! `unsupported` with a sentence saying so; the contract (and every SDK built on it) is
//! already final, and the handles below are what the database will fill in.

use super::bindings::db::{Host, HostConnection, HostDatabase, QueryArg, TxReport};
use super::bindings::types::{Category, IonError};
use super::state::IonState;
use wasmtime::component::Resource;

/// A database value held by an ion.
pub struct DatabaseHandle;

/// A connection held by an ion.
pub struct ConnectionHandle;

type Answer<T> = wasmtime::Result<Result<T, IonError>>;

fn unsupported<T>(operation: &str) -> Answer<T> {
    Ok(Err(IonError {
        category: Category::Unsupported,
        message: format!("db/{operation}: this node has no embedded database yet"),
        data: None,
    }))
}

impl HostDatabase for IonState {
    async fn basis_t(&mut self, _db: Resource<DatabaseHandle>) -> wasmtime::Result<i64> {
        wasmtime::bail!("db/basis-t called on a database this node never handed out")
    }
    async fn as_of(
        &mut self,
        _db: Resource<DatabaseHandle>,
        _point: String,
    ) -> Answer<Resource<DatabaseHandle>> {
        unsupported("as-of")
    }
    async fn since(
        &mut self,
        _db: Resource<DatabaseHandle>,
        _point: String,
    ) -> Answer<Resource<DatabaseHandle>> {
        unsupported("since")
    }
    async fn history(
        &mut self,
        _db: Resource<DatabaseHandle>,
    ) -> wasmtime::Result<Resource<DatabaseHandle>> {
        wasmtime::bail!("db/history called on a database this node never handed out")
    }
    async fn with(&mut self, _db: Resource<DatabaseHandle>, _tx_data: String) -> Answer<TxReport> {
        unsupported("with")
    }
    async fn pull(&mut self, _db: Resource<DatabaseHandle>, _request: String) -> Answer<String> {
        unsupported("pull")
    }
    async fn datoms(&mut self, _db: Resource<DatabaseHandle>, _request: String) -> Answer<String> {
        unsupported("datoms")
    }
    async fn index_range(
        &mut self,
        _db: Resource<DatabaseHandle>,
        _request: String,
    ) -> Answer<String> {
        unsupported("index-range")
    }
    async fn db_stats(&mut self, _db: Resource<DatabaseHandle>) -> Answer<String> {
        unsupported("db-stats")
    }
    async fn drop(&mut self, db: Resource<DatabaseHandle>) -> wasmtime::Result<()> {
        self.table.delete(db)?;
        Ok(())
    }
}

impl HostConnection for IonState {
    async fn db(
        &mut self,
        _conn: Resource<ConnectionHandle>,
    ) -> wasmtime::Result<Resource<DatabaseHandle>> {
        wasmtime::bail!("db/db called on a connection this node never handed out")
    }
    async fn transact(
        &mut self,
        _conn: Resource<ConnectionHandle>,
        _tx_data: String,
    ) -> Answer<TxReport> {
        unsupported("transact")
    }
    async fn sync(
        &mut self,
        _conn: Resource<ConnectionHandle>,
        _t: i64,
    ) -> Answer<Resource<DatabaseHandle>> {
        unsupported("sync")
    }
    async fn tx_range(
        &mut self,
        _conn: Resource<ConnectionHandle>,
        _request: String,
    ) -> Answer<String> {
        unsupported("tx-range")
    }
    async fn drop(&mut self, conn: Resource<ConnectionHandle>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

impl Host for IonState {
    async fn connect(&mut self, _db_name: String) -> Answer<Resource<ConnectionHandle>> {
        unsupported("connect")
    }
    async fn list_databases(&mut self) -> Answer<Vec<String>> {
        unsupported("list-databases")
    }
    async fn create_database(&mut self, _db_name: String) -> Answer<()> {
        unsupported("create-database")
    }
    async fn delete_database(&mut self, _db_name: String) -> Answer<()> {
        unsupported("delete-database")
    }
    async fn q(&mut self, _query: String, _args: Vec<QueryArg>) -> Answer<String> {
        unsupported("q")
    }
}
