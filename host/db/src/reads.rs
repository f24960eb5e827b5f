//! What a read of a database value names: the view (current, as-of, since, history),
//! the index and the leading components of a scan, and why a point in time names no
//! `t`. Plain types only; reading is `value_db`'s.

use super::datom::Datom;
use super::value::Value;
use ion_anomaly::{Category, IonError};

/// Why a point in time names no `t`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    /// An `#inst` whose text is not an instant.
    #[error("{0} is not an instant")]
    NotAnInstant(String),
    /// Neither a `t`, a transaction id nor an `#inst`.
    #[error("expected a t, a transaction id or an #inst, found {0}")]
    NotAPoint(String),
}

impl PointError {
    /// The anomaly category a caller sees.
    pub fn category(&self) -> Category {
        match self {
            PointError::NotAnInstant(_) | PointError::NotAPoint(_) => Category::Incorrect,
        }
    }
}

impl From<PointError> for IonError {
    fn from(e: PointError) -> Self {
        IonError::new(e.category(), e.to_string())
    }
}

/// Which datoms a value shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// What is true now.
    Current,
    /// What was true at basis `t`.
    AsOf(i64),
    /// What is true now and was asserted or retracted after `t`.
    Since(i64),
    /// Every assertion and retraction ever made.
    History,
}

/// An index to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// Entity, attribute, value, tx.
    Eavt,
    /// Attribute, entity, value, tx.
    Aevt,
    /// Attribute, value, entity, tx.
    Avet,
    /// Value (refs only), attribute, entity, tx.
    Vaet,
}

impl Index {
    /// The index named `eavt`, `aevt`, `avet` or `vaet`.
    pub fn parse(name: &str) -> Option<Index> {
        Some(match name {
            "eavt" => Index::Eavt,
            "aevt" => Index::Aevt,
            "avet" => Index::Avet,
            "vaet" => Index::Vaet,
            _ => return None,
        })
    }
}

/// Leading components of an index scan (unset ones match anything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Components {
    /// Entity.
    pub e: Option<i64>,
    /// Attribute.
    pub a: Option<i64>,
    /// Value.
    pub v: Option<Value>,
    /// Transaction.
    pub tx: Option<i64>,
}

impl Components {
    pub(crate) fn matches(&self, d: &Datom) -> bool {
        self.e.is_none_or(|e| e == d.e)
            && self.a.is_none_or(|a| a == d.a)
            && self.v.as_ref().is_none_or(|v| *v == d.v)
            && self.tx.is_none_or(|tx| tx == d.tx)
    }
}
