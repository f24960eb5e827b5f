//! Reading the datoms a data pattern matches: the pattern's known terms pick the index
//! (EAVT for an entity, AVET for attribute and value, AEVT for an attribute, VAET for a
//! ref value) and resolve idents, lookup refs and transaction numbers.

use super::bind::binding;
use super::builtins;
use super::parse::incorrect;
use super::range::Range;
use crate::api;
use crate::schema::tx_of;
use crate::value::{F64, Value, ValueType};
use crate::value_db::{Components, Db, Index, View};
use ion_anomaly::IonError;
use ion_edn::Edn;

/// The datoms a pattern with `known` terms matches, as bindings `[e a v tx added]`. The
/// value is built only where `wanted` says a variable takes it (elsewhere `false` stands
/// in): a string or tuple value costs a copy per datom.
pub fn scan(
    db: &Db,
    known: &[Option<Value>],
    wanted: &[bool],
    clause: &Edn<'_>,
    range: Option<&Range>,
) -> Result<Vec<Vec<Value>>, IonError> {
    let want_v = wanted.get(2).copied().unwrap_or(false);
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
    let attr = match known.get(1) {
        Some(Some(Value::Keyword(k))) => Some(
            db.schema
                .attr(k)
                .ok_or_else(|| {
                    incorrect(format!(
                        ":{k} is not an attribute, in {}",
                        ion_edn::print(clause)
                    ))
                })?
                .clone(),
        ),
        Some(Some(Value::Long(id))) => db.schema.attrs.get(id).cloned(),
        Some(Some(other)) => {
            return Err(incorrect(format!(
                "{} is not an attribute, in {}",
                ion_edn::print(&other.to_edn()),
                ion_edn::print(clause)
            )));
        }
        _ => None,
    };
    c.a = attr.as_ref().map(|a| a.id);
    if let Some(Some(v)) = known.get(2) {
        c.v = Some(match &attr {
            Some(a) if a.value_type == ValueType::Ref => Value::Ref(entity(v)?),
            Some(a) if a.value_type == ValueType::Double => match v {
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
    let wanted_added = match known.get(4) {
        Some(Some(Value::Bool(b))) => Some(*b),
        _ => None,
    };
    let mut v_untyped = None;
    if attr.is_none() && c.v.is_some() && !matches!(c.v, Some(Value::Ref(_))) {
        // Without the attribute the value's type is unknown: compare after the scan.
        v_untyped = c.v.take();
    }
    // A free value with comparisons on it later: read only their stretch of AVET.
    let ranged = match (range, &attr, index, db.view()) {
        (Some(r), Some(a), Index::Aevt, View::Current) if r.fits(&sample(a.value_type)) => {
            Some(db.avet_range(a.id, r.lo.as_ref(), r.hi.as_ref().map(|(v, i)| (v, *i)))?)
        }
        _ => None,
    };
    let datoms = match ranged {
        Some(d) => d,
        None => db.datoms(index, &c)?,
    };
    Ok(datoms
        .into_iter()
        .filter(|d| wanted_added.is_none_or(|w| w == d.added))
        .filter(|d| {
            v_untyped
                .as_ref()
                .is_none_or(|v| builtins::compare(&binding(&d.v), v).is_eq())
        })
        .map(|d| {
            vec![
                Value::Long(d.e),
                Value::Long(d.a),
                if want_v {
                    binding(&d.v)
                } else {
                    Value::Bool(false)
                },
                Value::Long(d.tx),
                Value::Bool(d.added),
            ]
        })
        .collect())
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
