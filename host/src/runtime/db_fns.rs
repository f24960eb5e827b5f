//! The app's functions as the database calls them: transaction functions, attribute and
//! entity predicates (query functions) and xforms, each checked against `:allow` or
//! `:xforms` by the entry points. Transaction functions and xforms run in a fresh
//! instance per call; the query functions and predicates of one operation share one.

use super::LoadedApp;
use super::reuse::Session;
use crate::anomaly::{Category, IonError};
use crate::config::FnName;
use crate::db::{BatchFuture, Db, FnFuture, Functions};
use ion_edn::Edn;

/// A loaded app's functions, for one database operation. Its query functions and
/// predicates share one instance for the operation (a query calls them once per row), so
/// a row costs a call, not an instantiation; nothing is kept past the operation.
pub struct AppFunctions<'a> {
    app: &'a LoadedApp,
    session: Session,
}

impl<'a> AppFunctions<'a> {
    /// The functions of `app`, for one operation.
    pub fn new(app: &'a LoadedApp) -> AppFunctions<'a> {
        AppFunctions {
            app,
            session: Session::new(),
        }
    }
}

/// The functions of `app`, or, without an app, none (every call refused).
pub fn of(app: Option<&LoadedApp>) -> Box<dyn Functions + '_> {
    match app {
        Some(app) => Box::new(AppFunctions::new(app)),
        None => Box::new(crate::db::NoFunctions),
    }
}

fn name(n: &str) -> Result<FnName, IonError> {
    FnName::parse(n).ok_or_else(|| {
        IonError::new(
            Category::Incorrect,
            format!("{n} is not a fully qualified function name (namespace/name)"),
        )
    })
}

fn edn(text: &str, what: &str) -> Result<Edn<'static>, IonError> {
    ion_edn::read(text).map_err(|e| {
        IonError::new(
            Category::Incorrect,
            format!("{what} returned text that is not EDN: {e}"),
        )
    })
}

impl Functions for AppFunctions<'_> {
    fn tx_fn<'a>(&'a self, n: &'a str, db: &'a Db, args: Vec<Edn<'static>>) -> FnFuture<'a> {
        Box::pin(async move {
            let f = name(n)?;
            let args = args.iter().map(ion_edn::print).collect();
            let id = uuid::Uuid::new_v4().to_string();
            let out = self
                .app
                .call_tx_fn(&f, db.clone(), args, &id)
                .await
                .result?;
            edn(&out, n)
        })
    }

    fn predicate<'a>(
        &'a self,
        n: &'a str,
        args: Vec<Edn<'static>>,
        db: Option<&'a Db>,
    ) -> FnFuture<'a> {
        Box::pin(async move {
            let f = name(n)?;
            let args = args.iter().map(ion_edn::print).collect();
            let id = uuid::Uuid::new_v4().to_string();
            let out = self
                .app
                .call_query_fn_in(Some(&self.session), &f, db.cloned(), args, &id)
                .await
                .result?;
            edn(&out, n)
        })
    }

    fn predicate_batch<'a>(&'a self, n: &'a str, rows: Vec<Vec<Edn<'static>>>) -> BatchFuture<'a> {
        Box::pin(async move {
            if !self.app.has_query_fn_batch() {
                let mut out = Vec::with_capacity(rows.len());
                for args in rows {
                    out.push(self.predicate(n, args, None).await?);
                }
                return Ok(out);
            }
            let f = name(n)?;
            let rows = rows
                .iter()
                .map(|args| args.iter().map(ion_edn::print).collect())
                .collect();
            let id = uuid::Uuid::new_v4().to_string();
            let out = self
                .app
                .call_query_fn_batch(Some(&self.session), &f, rows, &id)
                .await
                .result?;
            out.iter().map(|text| edn(text, n)).collect()
        })
    }

    fn xform<'a>(&'a self, n: &'a str, value: Edn<'static>) -> FnFuture<'a> {
        Box::pin(async move {
            let f = name(n)?;
            let id = uuid::Uuid::new_v4().to_string();
            let out = self
                .app
                .call_xform(&f, ion_edn::print(&value), &id)
                .await
                .result?;
            edn(&out, n)
        })
    }
}
