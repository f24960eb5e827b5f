//! The embedded database, as the synchronous Client API: connect, db values, transact,
//! pull, datoms, q and time travel. Values cross as EDN.

use crate::__private::{bindings::ion::host::db as wit, from_wit};
use crate::{Edn, Error};

/// A database value, owned or lent by the host (transaction functions get a lent one).
pub enum Db<'a> {
    /// A value this ion holds.
    Owned(wit::Database),
    /// A value the host lent for this call.
    Borrowed(&'a wit::Database),
}

/// A transaction's (or `with`'s) report.
pub struct TxReport {
    /// The database before.
    pub db_before: Db<'static>,
    /// The database after.
    pub db_after: Db<'static>,
    /// The datoms added, `[[e a v tx added] …]`.
    pub tx_data: Edn,
    /// Tempid → entity id.
    pub tempids: Edn,
}

/// A query function's argument: a value, or a database passed as a `$` source.
pub enum Arg<'a> {
    /// An EDN value.
    Value(Edn),
    /// A database.
    Db(Db<'a>),
}

impl<'a> Arg<'a> {
    pub(crate) fn from_wit(
        a: wit::FnArg,
        index: usize,
    ) -> Result<Arg<'a>, crate::__private::bindings::ion::host::types::IonError> {
        Ok(match a {
            wit::FnArg::Value(v) => Arg::Value(crate::__private::read_arg(
                &v,
                &format!("argument {index}"),
            )?),
            wit::FnArg::Db(db) => Arg::Db(Db::Owned(db)),
        })
    }

    /// The value, if this argument is one.
    pub fn value(&self) -> Option<&Edn> {
        match self {
            Arg::Value(v) => Some(v),
            Arg::Db(_) => None,
        }
    }

    /// The database, if this argument is one.
    pub fn db(&self) -> Option<&Db<'a>> {
        match self {
            Arg::Db(d) => Some(d),
            Arg::Value(_) => None,
        }
    }
}

fn edn(
    text: Result<String, crate::__private::bindings::ion::host::types::IonError>,
) -> Result<Edn, Error> {
    let text = text.map_err(from_wit)?;
    ion_edn::read(&text)
        .map_err(|e| Error::fault(format!("the host answered with invalid EDN: {e}")))
}

fn report(r: wit::TxReport) -> Result<TxReport, Error> {
    Ok(TxReport {
        db_before: Db::Owned(r.db_before),
        db_after: Db::Owned(r.db_after),
        tx_data: edn(Ok(r.tx_data))?,
        tempids: edn(Ok(r.tempids))?,
    })
}

impl<'a> Db<'a> {
    pub(crate) fn borrowed(db: &'a wit::Database) -> Db<'a> {
        Db::Borrowed(db)
    }

    fn raw(&self) -> &wit::Database {
        match self {
            Db::Owned(d) => d,
            Db::Borrowed(d) => d,
        }
    }

    /// The basis `t`.
    pub fn basis_t(&self) -> i64 {
        self.raw().basis_t()
    }

    /// This value as of a `t`, transaction id or `#inst`.
    pub fn as_of(&self, point: &Edn) -> Result<Db<'static>, Error> {
        self.raw()
            .as_of(&ion_edn::print(point))
            .map(Db::Owned)
            .map_err(from_wit)
    }

    /// Only what changed after a point in time.
    pub fn since(&self, point: &Edn) -> Result<Db<'static>, Error> {
        self.raw()
            .since(&ion_edn::print(point))
            .map(Db::Owned)
            .map_err(from_wit)
    }

    /// Every assertion and retraction ever made.
    pub fn history(&self) -> Db<'static> {
        Db::Owned(self.raw().history())
    }

    /// Applies `tx_data` speculatively.
    pub fn with(&self, tx_data: &Edn) -> Result<TxReport, Error> {
        report(
            self.raw()
                .with(&ion_edn::print(tx_data))
                .map_err(from_wit)?,
        )
    }

    /// Pulls `selector` for entity `eid`.
    pub fn pull(&self, selector: &Edn, eid: &Edn) -> Result<Edn, Error> {
        let request = format!(
            "{{:selector {} :eid {}}}",
            ion_edn::print(selector),
            ion_edn::print(eid)
        );
        edn(self.raw().pull(&request))
    }

    /// Raw index access; `request` is `{:index :eavt :components [...]}`.
    pub fn datoms(&self, request: &Edn) -> Result<Edn, Error> {
        edn(self.raw().datoms(&ion_edn::print(request)))
    }

    /// AVET datoms in a value range; `request` is `{:attrid a :start v :end v}`.
    pub fn index_range(&self, request: &Edn) -> Result<Edn, Error> {
        edn(self.raw().index_range(&ion_edn::print(request)))
    }

    /// Statistics about this value.
    pub fn db_stats(&self) -> Result<Edn, Error> {
        edn(self.raw().db_stats())
    }
}

/// A connection to a named database.
pub struct Connection(wit::Connection);

/// Connects to database `name`.
pub fn connect(name: &str) -> Result<Connection, Error> {
    wit::connect(name).map(Connection).map_err(from_wit)
}

/// The names of the node's databases.
pub fn list_databases() -> Result<Vec<String>, Error> {
    wit::list_databases().map_err(from_wit)
}

/// Creates database `name` (no error if it exists).
pub fn create_database(name: &str) -> Result<(), Error> {
    wit::create_database(name).map_err(from_wit)
}

/// Deletes database `name` (no error if it does not exist).
pub fn delete_database(name: &str) -> Result<(), Error> {
    wit::delete_database(name).map_err(from_wit)
}

/// Runs Datalog `query` with `args` bound to its `:in`.
pub fn q(query: &Edn, args: &[Arg<'_>]) -> Result<Edn, Error> {
    let printed: Vec<Option<String>> = args.iter().map(|a| a.value().map(ion_edn::print)).collect();
    let wit_args: Vec<wit::QueryArg<'_>> = args
        .iter()
        .zip(&printed)
        .map(|(a, p)| match (a, p) {
            (Arg::Db(d), _) => wit::QueryArg::Db(d.raw()),
            (Arg::Value(_), Some(text)) => wit::QueryArg::Value(text.clone()),
            (Arg::Value(_), None) => unreachable!("values are printed above"),
        })
        .collect();
    edn(wit::q(&ion_edn::print(query), &wit_args))
}

impl Connection {
    /// The current database value.
    pub fn db(&self) -> Db<'static> {
        Db::Owned(self.0.db())
    }

    /// Commits `tx_data`; returns once durable.
    pub fn transact(&self, tx_data: &Edn) -> Result<TxReport, Error> {
        report(
            self.0
                .transact(&ion_edn::print(tx_data))
                .map_err(from_wit)?,
        )
    }

    /// A value including at least transaction `t`.
    pub fn sync(&self, t: i64) -> Result<Db<'static>, Error> {
        self.0.sync(t).map(Db::Owned).map_err(from_wit)
    }
}
