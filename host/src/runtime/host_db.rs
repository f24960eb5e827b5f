//! Host side of `ion:host/db`: the database values and connections an ion holds, backed
//! by the node's embedded databases (`crate::db`). Requests and answers are EDN text;
//! failures are anomalies, never traps. Transactions, `with` and pulls an ion makes run
//! its own app's transaction functions, predicates and xforms (see `db_fns`), each in an
//! instance of its own.

use super::bindings::db::{Host, HostConnection, HostDatabase, QueryArg, TxReport};
use super::bindings::types::IonError as WitError;
use super::db_fns;
use super::state::IonState;
use crate::anomaly::{Category, IonError};
use crate::db::api::{datoms_request, pull_request, read, report_edn};
use crate::db::{Connection, Db};
use std::sync::Arc;
use wasmtime::component::Resource;

/// A database value held by an ion.
pub struct DatabaseHandle(pub Db);

/// A connection held by an ion.
pub struct ConnectionHandle(pub Arc<Connection>);

type Answer<T> = wasmtime::Result<Result<T, WitError>>;

fn wit(e: IonError) -> WitError {
    WitError {
        category: super::call::wit_category(e.category),
        message: e.message,
        data: e.data,
    }
}

impl IonState {
    fn db_of(&self, db: &Resource<DatabaseHandle>) -> wasmtime::Result<Db> {
        Ok(self.table.get(db)?.0.clone())
    }

    fn hand_out(&mut self, db: Db) -> wasmtime::Result<Resource<DatabaseHandle>> {
        Ok(self.table.push(DatabaseHandle(db))?)
    }

    fn report(&mut self, report: crate::db::TxReport) -> wasmtime::Result<TxReport> {
        let (data, tempids) = report_edn(&report);
        Ok(TxReport {
            db_before: self.hand_out(report.db_before)?,
            db_after: self.hand_out(report.db_after)?,
            tx_data: ion_edn::print(&data),
            tempids: ion_edn::print(&tempids),
        })
    }

    fn point(
        &mut self,
        db: &Resource<DatabaseHandle>,
        point: &str,
    ) -> wasmtime::Result<Result<(Db, i64), WitError>> {
        let value = self.db_of(db)?;
        let parsed = match read(point, "the point in time") {
            Ok(p) => p,
            Err(e) => return Ok(Err(wit(e))),
        };
        Ok(value
            .point_t(&parsed)
            .map(|t| (value, t))
            .map_err(|e| wit(e.into())))
    }
}

impl HostDatabase for IonState {
    async fn basis_t(&mut self, db: Resource<DatabaseHandle>) -> wasmtime::Result<i64> {
        Ok(self.db_of(&db)?.basis_t())
    }
    async fn as_of(
        &mut self,
        db: Resource<DatabaseHandle>,
        point: String,
    ) -> Answer<Resource<DatabaseHandle>> {
        match self.point(&db, &point)? {
            Ok((value, t)) => Ok(Ok(self.hand_out(value.as_of(t))?)),
            Err(e) => Ok(Err(e)),
        }
    }
    async fn since(
        &mut self,
        db: Resource<DatabaseHandle>,
        point: String,
    ) -> Answer<Resource<DatabaseHandle>> {
        match self.point(&db, &point)? {
            Ok((value, t)) => Ok(Ok(self.hand_out(value.since(t))?)),
            Err(e) => Ok(Err(e)),
        }
    }
    async fn history(
        &mut self,
        db: Resource<DatabaseHandle>,
    ) -> wasmtime::Result<Resource<DatabaseHandle>> {
        let value = self.db_of(&db)?;
        self.hand_out(value.history())
    }
    async fn with(&mut self, db: Resource<DatabaseHandle>, tx_data: String) -> Answer<TxReport> {
        let value = self.db_of(&db)?;
        let data = match read(&tx_data, "the tx-data") {
            Ok(d) => d,
            Err(e) => return Ok(Err(wit(e))),
        };
        let app = self.app_calls.clone();
        let fns = db_fns::of(app.as_ref());
        match crate::db::transact::transact(&value, &data, &*fns, crate::db::now_ms()).await {
            Ok(report) => Ok(Ok(self.report(report)?)),
            Err(e) => Ok(Err(wit(e))),
        }
    }
    async fn pull(&mut self, db: Resource<DatabaseHandle>, request: String) -> Answer<String> {
        let value = self.db_of(&db)?;
        let request = match read(&request, "the pull request") {
            Ok(r) => r,
            Err(e) => return Ok(Err(wit(e))),
        };
        let app = self.app_calls.clone();
        let fns = db_fns::of(app.as_ref());
        Ok(pull_request(&value, &request, &*fns)
            .await
            .map(|v| ion_edn::print(&v))
            .map_err(wit))
    }
    async fn datoms(&mut self, db: Resource<DatabaseHandle>, request: String) -> Answer<String> {
        let value = self.db_of(&db)?;
        Ok(read(&request, "the datoms request")
            .and_then(|r| datoms_request(&value, &r))
            .map(|v| ion_edn::print(&v))
            .map_err(wit))
    }
    async fn index_range(
        &mut self,
        db: Resource<DatabaseHandle>,
        request: String,
    ) -> Answer<String> {
        let value = self.db_of(&db)?;
        Ok(read(&request, "the index-range request")
            .and_then(|r| crate::db::api::index_range_request(&value, &r))
            .map(|v| ion_edn::print(&v))
            .map_err(wit))
    }
    async fn db_stats(&mut self, db: Resource<DatabaseHandle>) -> Answer<String> {
        let value = self.db_of(&db)?;
        Ok(Ok(format!("{{:datoms {}}}", value.count())))
    }
    async fn drop(&mut self, db: Resource<DatabaseHandle>) -> wasmtime::Result<()> {
        self.table.delete(db)?;
        Ok(())
    }
}

impl HostConnection for IonState {
    async fn db(
        &mut self,
        conn: Resource<ConnectionHandle>,
    ) -> wasmtime::Result<Resource<DatabaseHandle>> {
        let value = self.table.get(&conn)?.0.db();
        self.hand_out(value)
    }
    async fn transact(
        &mut self,
        conn: Resource<ConnectionHandle>,
        tx_data: String,
    ) -> Answer<TxReport> {
        let conn = self.table.get(&conn)?.0.clone();
        let data = match read(&tx_data, "the tx-data") {
            Ok(d) => d,
            Err(e) => return Ok(Err(wit(e))),
        };
        let app = self.app_calls.clone();
        let fns = db_fns::of(app.as_ref());
        match conn.transact(&data, &*fns).await {
            Ok(report) => Ok(Ok(self.report(report)?)),
            Err(e) => Ok(Err(wit(e))),
        }
    }
    async fn sync(
        &mut self,
        conn: Resource<ConnectionHandle>,
        t: i64,
    ) -> Answer<Resource<DatabaseHandle>> {
        let conn = self.table.get(&conn)?.0.clone();
        match conn.sync(t).await {
            Ok(value) => Ok(Ok(self.hand_out(value)?)),
            Err(e) => Ok(Err(wit(e))),
        }
    }

    async fn tx_range(
        &mut self,
        conn: Resource<ConnectionHandle>,
        request: String,
    ) -> Answer<String> {
        let value = self.table.get(&conn)?.0.db();
        Ok(read(&request, "the tx-range request")
            .and_then(|r| crate::db::api::tx_range_request(&value, &r))
            .map(|v| ion_edn::print(&v))
            .map_err(wit))
    }
    async fn drop(&mut self, conn: Resource<ConnectionHandle>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

impl Host for IonState {
    async fn connect(&mut self, db_name: String) -> Answer<Resource<ConnectionHandle>> {
        let Some(dbs) = self.app.databases.clone() else {
            return Ok(Err(wit(IonError::new(
                Category::Unavailable,
                "this node has no databases",
            ))));
        };
        match dbs.connect(&db_name).await {
            Ok(conn) => Ok(Ok(self.table.push(ConnectionHandle(conn))?)),
            Err(e) => Ok(Err(wit(e))),
        }
    }
    async fn list_databases(&mut self) -> Answer<Vec<String>> {
        let Some(dbs) = self.app.databases.clone() else {
            return Ok(Ok(Vec::new()));
        };
        Ok(dbs.list().await.map_err(wit))
    }
    async fn create_database(&mut self, db_name: String) -> Answer<()> {
        let Some(dbs) = self.app.databases.clone() else {
            return Ok(Err(wit(IonError::new(
                Category::Unavailable,
                "this node has no databases",
            ))));
        };
        Ok(dbs.create(&db_name).await.map_err(wit))
    }
    async fn delete_database(&mut self, db_name: String) -> Answer<()> {
        let Some(dbs) = self.app.databases.clone() else {
            return Ok(Err(wit(IonError::new(
                Category::Unavailable,
                "this node has no databases",
            ))));
        };
        Ok(dbs.delete(&db_name).await.map_err(wit))
    }
    async fn q(&mut self, query: String, args: Vec<QueryArg>) -> Answer<String> {
        let query = match read(&query, "the query") {
            Ok(q) => q,
            Err(e) => return Ok(Err(wit(e))),
        };
        let mut held = Vec::new();
        for a in &args {
            held.push(match a {
                QueryArg::Db(db) => Ok(self.db_of(db)?),
                QueryArg::Value(v) => match read(v, "a query argument") {
                    Ok(v) => Err(v),
                    Err(e) => return Ok(Err(wit(e))),
                },
            });
        }
        let inputs = held
            .iter()
            .map(|h| match h {
                Ok(db) => crate::db::query::Input::Db(db),
                Err(v) => crate::db::query::Input::Value(v.clone()),
            })
            .collect();
        let app = self.app_calls.clone();
        let fns = db_fns::of(app.as_ref());
        // The query stops a little before the call's own deadline (a tenth of its time, at
        // most 100 ms), so the ion gets the `interrupted` anomaly and can still answer.
        let bound = self
            .call
            .deadline
            .map(|(at, timeout)| crate::db::query::Deadline {
                at: at - (timeout / 10).min(std::time::Duration::from_millis(100)),
                what: format!(
                    "the time left to {} (its :timeout-secs of {})",
                    self.call.fn_name,
                    super::call::human(timeout)
                ),
            });
        Ok(crate::db::query::q_until(&query, inputs, &*fns, bound)
            .await
            .map(|r| ion_edn::print(&r))
            .map_err(wit))
    }
}
