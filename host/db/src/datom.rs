//! Datoms and the four sorted orders the indexes keep them in. An index entry shares
//! its datom (`Arc`) with the other indexes, and the persistent sets share structure
//! between database values, so holding an old value is cheap.

use super::value::Value;
use std::cmp::Ordering;
use std::sync::Arc;

/// One fact: entity `e` has attribute `a` with value `v`, asserted (`added`) or
/// retracted by transaction `tx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datom {
    /// The entity id.
    pub e: i64,
    /// The attribute's entity id.
    pub a: i64,
    /// The value.
    pub v: Value,
    /// The transaction's entity id.
    pub tx: i64,
    /// Assertion (true) or retraction.
    pub added: bool,
}

impl Datom {
    /// The datom as EDN: `[e a v tx added]`.
    pub fn to_edn(&self) -> ion_edn::Edn<'static> {
        use ion_edn::Edn;
        Edn::Vector(vec![
            Edn::Int(self.e),
            Edn::Int(self.a),
            self.v.to_edn(),
            Edn::Int(self.tx),
            Edn::Bool(self.added),
        ])
    }
}

/// Index orders.
pub const EAVT: u8 = 0;
/// Attribute, entity, value, tx.
pub const AEVT: u8 = 1;
/// Attribute, value, entity, tx (unique and indexed lookups).
pub const AVET: u8 = 2;
/// Value (a ref), attribute, entity, tx (reverse references).
pub const VAET: u8 = 3;

/// A datom in index order `O`.
#[derive(Debug, Clone)]
pub struct Keyed<const O: u8>(pub Arc<Datom>);

impl<const O: u8> PartialEq for Keyed<O> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<const O: u8> Eq for Keyed<O> {}
impl<const O: u8> PartialOrd for Keyed<O> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<const O: u8> Ord for Keyed<O> {
    fn cmp(&self, other: &Self) -> Ordering {
        order::<O>(&self.0, &other.0)
    }
}

/// How datoms `a` and `b` compare in index order `O`.
pub fn order<const O: u8>(a: &Datom, b: &Datom) -> Ordering {
    let head = match O {
        EAVT => {
            a.e.cmp(&b.e)
                .then(a.a.cmp(&b.a))
                .then_with(|| a.v.cmp(&b.v))
        }
        AEVT => {
            a.a.cmp(&b.a)
                .then(a.e.cmp(&b.e))
                .then_with(|| a.v.cmp(&b.v))
        }
        AVET => {
            a.a.cmp(&b.a)
                .then_with(|| a.v.cmp(&b.v))
                .then(a.e.cmp(&b.e))
        }
        _ => a.v.cmp(&b.v).then(a.a.cmp(&b.a)).then(a.e.cmp(&b.e)),
    };
    head.then(a.tx.cmp(&b.tx)).then(a.added.cmp(&b.added))
}

/// The least datom whose leading components (in order `O`) are `prefix`: where a range
/// scan for that prefix starts.
pub fn lower_bound<const O: u8>(e: Option<i64>, a: Option<i64>, v: Option<&Value>) -> Keyed<O> {
    Keyed(Arc::new(Datom {
        e: e.unwrap_or(i64::MIN),
        a: a.unwrap_or(i64::MIN),
        v: v.cloned().unwrap_or(Value::Bool(false)),
        tx: i64::MIN,
        added: false,
    }))
}
