//! A data pattern's terms as they read and extend one row of a flat relation: which
//! column, constant or new variable each term is (`Slot`), the pattern's known terms for a
//! row, its attribute resolved once, and the row extended by a matching datom. Shared by
//! `flat` (a pattern at a time) and `group` (the patterns of one entity together).

use super::builtins;
use super::parse::is_var;
use super::scan::{attr_of, term_value};
use crate::datom::Datom;
use crate::value::{Value, ValueType};
use crate::value_db::Db;
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::sync::Arc;

/// A data pattern's term as `flat::extend` and `group::extend_group` read it.
pub(super) enum Slot {
    /// `_`.
    Blank,
    /// A variable the input binds, in this column.
    Col(usize),
    /// A constant.
    Const(Value),
    /// A variable the pattern binds (its first place in the pattern).
    New,
    /// That variable again, at a later place: must equal the term at this place.
    Again(usize),
}

/// A pattern's known terms (`[e a v tx added]`) for `row`: its columns and constants.
pub(super) fn known_terms(slots: &[Slot], row: &[Value], known: &mut Vec<Option<Value>>) {
    known.clear();
    known.extend(slots.iter().map(|s| match s {
        Slot::Col(c) => Some(row[*c].clone()),
        Slot::Const(v) => Some(v.clone()),
        _ => None,
    }));
}

/// A pattern's attribute for `known` (its terms now), resolved once and kept in `attr`
/// when it is a constant.
pub(super) fn attr_once(
    attr: &mut Option<Option<(i64, ValueType)>>,
    db: &Db,
    slots: &[Slot],
    known: &[Option<Value>],
    clause: &Edn<'_>,
) -> Result<Option<(i64, ValueType)>, IonError> {
    if let Some(a) = *attr {
        return Ok(a);
    }
    let a = attr_of(db, known.get(1).and_then(Option::as_ref), clause)?;
    if matches!(slots.get(1), Some(Slot::Const(_))) {
        *attr = Some(a);
    }
    Ok(a)
}

/// Appends `row` extended by datom `d` through `slots` (the values of the variables the
/// pattern binds) to `out`, unless `d` gives a repeated variable two values; whether it
/// did.
pub(super) fn push_extended(
    out: &mut Vec<Value>,
    row: &[Value],
    slots: &[Slot],
    d: &Datom,
) -> bool {
    for (j, slot) in slots.iter().enumerate() {
        if let Slot::Again(first) = slot
            && builtins::compare(&term_value(d, *first), &term_value(d, j)).is_ne()
        {
            return false;
        }
    }
    out.extend_from_slice(row);
    for (j, slot) in slots.iter().enumerate() {
        if let Slot::New = slot {
            out.push(term_value(d, j));
        }
    }
    true
}

/// How a pattern's `terms` read a row binding `vars`, to which the variables it binds
/// are added.
pub(super) fn slots_of(
    terms: &[Edn<'static>],
    vars: &mut Vec<Arc<str>>,
) -> Result<Vec<Slot>, IonError> {
    let bound = vars.len();
    let mut slots = Vec::with_capacity(terms.len());
    for (j, t) in terms.iter().enumerate() {
        slots.push(match t {
            Edn::Symbol(s) if s == "_" => Slot::Blank,
            t => match is_var(t) {
                Some(v) => match vars[..bound].iter().position(|b| **b == *v) {
                    Some(c) => Slot::Col(c),
                    None => match terms[..j]
                        .iter()
                        .position(|u| is_var(u).as_ref() == Some(&v))
                    {
                        Some(first) => Slot::Again(first),
                        None => {
                            vars.push(Arc::from(v));
                            Slot::New
                        }
                    },
                },
                None => Slot::Const(super::bind::constant(t)?),
            },
        });
    }
    Ok(slots)
}
