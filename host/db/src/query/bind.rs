//! Binding values to query variables: EDN constants and database values as bindings
//! (refs bind as longs), and the `:in` binding forms (scalar, tuple, collection and
//! relation) that inputs and function expressions share.

use super::builtins;
use super::eval::Row;
use super::parse::{incorrect, is_var, owned};
use crate::value::{F64, Value, ValueType};
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::sync::Arc;

/// A value as a binding: refs bind as longs.
pub fn binding(v: &Value) -> Value {
    match v {
        Value::Ref(n) => Value::Long(*n),
        other => other.clone(),
    }
}

/// An EDN constant as a binding, typed by its shape.
pub fn constant(e: &Edn<'_>) -> Result<Value, IonError> {
    Ok(match e {
        Edn::Int(n) => Value::Long(*n),
        Edn::Double(d) => Value::Double(F64(d.into_inner())),
        Edn::Str(s) => Value::Str(s.to_string()),
        Edn::Key(k) => Value::Keyword(k.to_string()),
        Edn::Symbol(s) => Value::Symbol(s.to_string()),
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Vector(items) | Edn::List(items) => {
            Value::Tuple(items.iter().map(constant).collect::<Result<_, _>>()?)
        }
        Edn::Tagged(t, _) if t == "inst" => Value::from_edn(e, ValueType::Instant)?,
        Edn::Tagged(t, _) if t == "uuid" => Value::from_edn(e, ValueType::Uuid)?,
        other => {
            return Err(incorrect(format!(
                "{} cannot be a query value",
                ion_edn::print(other)
            )));
        }
    })
}

/// Binds `value` to binding form `form` in every row: `?x`, `_`, a collection
/// `[form ...]`, a tuple `[form form …]` or a relation `[[form …]]`, nested at will. A map
/// binds as a collection of `[key value]` entries; `nil` binds nothing.
pub fn bind_form(rows: Vec<Row>, form: &Edn<'_>, value: &Edn<'_>) -> Result<Vec<Row>, IonError> {
    let mut out = Vec::new();
    for row in rows {
        bind_one(row, form, value, &mut out)?;
    }
    Ok(out)
}

fn bind_one(row: Row, form: &Edn<'_>, value: &Edn<'_>, out: &mut Vec<Row>) -> Result<(), IonError> {
    let describe = |what: &str| {
        incorrect(format!(
            "cannot bind {} to {what} {}: expected a collection",
            ion_edn::print(value),
            ion_edn::print(form)
        ))
    };
    match form {
        Edn::Symbol(s) if s == "_" => out.push(row),
        Edn::Vector(f) if f.len() == 2 && matches!(&f[1], Edn::Symbol(s) if s == "...") => {
            for item in items(value).ok_or_else(|| describe("collection"))? {
                bind_one(row.clone(), &f[0], &item, out)?;
            }
        }
        Edn::Vector(f) if f.len() == 1 && matches!(&f[0], Edn::Vector(_)) => {
            for item in items(value).ok_or_else(|| describe("relation"))? {
                bind_one(row.clone(), &f[0], &item, out)?;
            }
        }
        Edn::Vector(f) => {
            let vals = items(value).ok_or_else(|| describe("tuple"))?;
            if vals.len() < f.len() {
                return Err(incorrect(format!(
                    "not enough elements in {} to bind tuple {}",
                    ion_edn::print(value),
                    ion_edn::print(form)
                )));
            }
            let mut rows = vec![row];
            for (sub, v) in f.iter().zip(&vals) {
                let mut next = Vec::new();
                for r in rows {
                    bind_one(r, sub, v, &mut next)?;
                }
                rows = next;
            }
            out.extend(rows);
        }
        var => {
            if *value == Edn::Nil {
                return Ok(());
            }
            let name = is_var(var)
                .ok_or_else(|| incorrect(format!("bad binding form {}", ion_edn::print(var))))?;
            let v = constant(value)?;
            match row.get(name.as_str()) {
                Some(bound) if builtins::compare(bound, &v).is_ne() => {}
                _ => {
                    let mut next = row;
                    next.insert(Arc::from(name), v);
                    out.push(next);
                }
            }
        }
    }
    Ok(())
}

/// The elements of a collection value (a map's as `[key value]` entries), or `None`.
fn items(v: &Edn<'_>) -> Option<Vec<Edn<'static>>> {
    match v {
        Edn::Vector(i) | Edn::List(i) => Some(i.iter().map(owned).collect()),
        Edn::Set(i) => Some(i.iter().map(owned).collect()),
        Edn::Map(m) => Some(
            m.iter()
                .map(|(k, v)| Edn::Vector(vec![owned(k), owned(v)]))
                .collect(),
        ),
        _ => None,
    }
}
