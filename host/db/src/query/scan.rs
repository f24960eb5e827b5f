//! Reading the datoms a data pattern matches: the pattern's known terms pick the index
//! (EAVT for an entity, AVET for attribute and value, AEVT for an attribute, VAET for a
//! ref value) and resolve idents, lookup refs and transaction numbers. A datom's terms
//! are bound only where a pattern takes them (`term_value`).

use super::bind::binding;
use super::builtins;
use super::parse::incorrect;
use super::range::Range;
use crate::api;
use crate::datom::Datom;
use crate::schema::tx_of;
use crate::value::{F64, Value, ValueType};
use crate::value_db::{Components, Db, Index, View};
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::sync::Arc;

/// A data pattern's known terms resolved against a database: the components of its
/// index read and the checks made on each datom read.
pub struct Resolved {
    /// The components the read is by (and each datom is checked against).
    pub c: Components,
    index: Index,
    attr: Option<(i64, ValueType)>,
    /// The `added` term, when known.
    added: Option<bool>,
    /// A value known without its attribute: compared after the read, by value.
    v_untyped: Option<Value>,
}

impl Resolved {
    /// Whether `d`, a datom of the same view, is one the pattern matches: as the read
    /// by these components would have found it.
    pub fn accepts(&self, d: &Datom) -> bool {
        self.c.matches(d) && self.checks(d)
    }

    /// Whether `d`, read by these components, passes the checks made after the read.
    fn checks(&self, d: &Datom) -> bool {
        self.added.is_none_or(|w| w == d.added)
            && self
                .v_untyped
                .as_ref()
                .is_none_or(|v| builtins::compare(&binding(&d.v), v).is_eq())
    }
}

/// Resolves a pattern's `known` terms (`[e a v tx added]`): idents, lookup refs, the
/// value's type as its attribute's, transaction numbers.
pub fn resolve(db: &Db, known: &[Option<Value>], clause: &Edn<'_>) -> Result<Resolved, IonError> {
    let attr = attr_of(db, known.get(1).and_then(Option::as_ref), clause)?;
    resolve_with(db, known, clause, attr)
}

/// The id and value type of a pattern's known attribute term `a` (an ident or an id);
/// none for an unknown one, or an id that names no attribute.
pub fn attr_of(
    db: &Db,
    a: Option<&Value>,
    clause: &Edn<'_>,
) -> Result<Option<(i64, ValueType)>, IonError> {
    Ok(match a {
        Some(Value::Keyword(k)) => Some(
            db.schema
                .attr(k)
                .map(|a| (a.id, a.value_type))
                .ok_or_else(|| {
                    incorrect(format!(
                        ":{k} is not an attribute, in {}",
                        ion_edn::print(clause)
                    ))
                })?,
        ),
        Some(Value::Long(id)) => db.schema.attrs.get(id).map(|a| (a.id, a.value_type)),
        Some(other) => {
            return Err(incorrect(format!(
                "{} is not an attribute, in {}",
                ion_edn::print(&other.to_edn()),
                ion_edn::print(clause)
            )));
        }
        None => None,
    })
}

/// `resolve`, with the attribute term resolved already (`attr_of`).
pub fn resolve_with(
    db: &Db,
    known: &[Option<Value>],
    clause: &Edn<'_>,
    attr: Option<(i64, ValueType)>,
) -> Result<Resolved, IonError> {
    let entity = |v: &Value| -> Result<i64, IonError> {
        match v {
            Value::Long(n) => Ok(*n),
            Value::Keyword(k) => db.schema.idents.get(k).copied().ok_or_else(|| {
                incorrect(format!(
                    ":{k} is not an ident, in {}",
                    ion_edn::print(clause)
                ))
            }),
            Value::Tuple(pair) if pair.len() == 2 => {
                let lookup = Edn::Vector(pair.iter().map(Value::to_edn).collect());
                api::resolve_eid(db, &lookup)
            }
            other => Err(incorrect(format!(
                "{} is not an entity, in {}",
                ion_edn::print(&other.to_edn()),
                ion_edn::print(clause)
            ))),
        }
    };
    let mut c = Components::default();
    if let Some(Some(e)) = known.first() {
        c.e = Some(entity(e)?);
    }
    c.a = attr.map(|(id, _)| id);
    if let Some(Some(v)) = known.get(2) {
        c.v = Some(match attr {
            Some((_, ValueType::Ref)) => Value::Ref(entity(v)?),
            Some((_, ValueType::Double)) => match v {
                Value::Long(n) => Value::Double(F64(*n as f64)),
                other => other.clone(),
            },
            _ => v.clone(),
        });
    }
    if let Some(Some(tx)) = known.get(3) {
        c.tx = Some(match tx {
            Value::Long(n) if *n < tx_of(0) => tx_of(*n),
            Value::Long(n) => *n,
            other => {
                return Err(incorrect(format!(
                    "{} is not a transaction, in {}",
                    ion_edn::print(&other.to_edn()),
                    ion_edn::print(clause)
                )));
            }
        });
    }
    let index = match (&c.e, &c.a, &c.v) {
        (Some(_), _, _) => Index::Eavt,
        (None, Some(_), Some(_)) => Index::Avet,
        (None, Some(_), None) => Index::Aevt,
        (None, None, Some(Value::Ref(_))) => Index::Vaet,
        _ => Index::Eavt,
    };
    let added = match known.get(4) {
        Some(Some(Value::Bool(b))) => Some(*b),
        _ => None,
    };
    let mut v_untyped = None;
    if attr.is_none() && c.v.is_some() && !matches!(c.v, Some(Value::Ref(_))) {
        // Without the attribute the value's type is unknown: compare after the scan.
        v_untyped = c.v.take();
    }
    Ok(Resolved {
        c,
        index,
        attr,
        added,
        v_untyped,
    })
}

/// The datoms a pattern with `known` terms (`[e a v tx added]`) matches, in index order.
pub fn scan(
    db: &Db,
    known: &[Option<Value>],
    clause: &Edn<'_>,
    range: Option<&Range>,
) -> Result<Vec<Arc<Datom>>, IonError> {
    read(db, &resolve(db, known, clause)?, range)
}

/// The datoms the resolved pattern `r` matches, in index order.
pub fn read(db: &Db, r: &Resolved, range: Option<&Range>) -> Result<Vec<Arc<Datom>>, IonError> {
    let mut out = Vec::new();
    read_into(db, r, range, &mut out)?;
    Ok(out)
}

/// `read`, into `out` (emptied first).
pub fn read_into(
    db: &Db,
    r: &Resolved,
    range: Option<&Range>,
    out: &mut Vec<Arc<Datom>>,
) -> Result<(), IonError> {
    out.clear();
    // A free value with comparisons on it later: read only their stretch of AVET.
    let ranged = match (range, r.attr, r.index, db.view()) {
        (Some(range), Some((a, t)), Index::Aevt, View::Current) if range.fits(&sample(t)) => {
            Some(db.avet_range(
                a,
                range.lo.as_ref(),
                range.hi.as_ref().map(|(v, i)| (v, *i)),
            )?)
        }
        _ => None,
    };
    match ranged {
        Some(d) => out.extend(d.into_iter().filter(|d| r.c.matches(d))),
        None => db.datoms_into(r.index, &r.c, out)?,
    };
    if r.added.is_some() || r.v_untyped.is_some() {
        out.retain(|d| r.checks(d));
    }
    Ok(())
}

/// The binding of term `i` (`[e a v tx added]`) that datom `d` gives.
pub fn term_value(d: &Datom, i: usize) -> Value {
    match i {
        0 => Value::Long(d.e),
        1 => Value::Long(d.a),
        2 => binding(&d.v),
        3 => Value::Long(d.tx),
        _ => Value::Bool(d.added),
    }
}

/// A value of type `t`, to check a range's bounds against (none for other types).
fn sample(t: ValueType) -> Value {
    match t {
        ValueType::Long => Value::Long(0),
        ValueType::Double => Value::Double(F64(0.0)),
        ValueType::Instant => Value::Instant(0),
        ValueType::String => Value::Str(String::new()),
        _ => Value::Tuple(Vec::new()),
    }
}
