//! Binding values to query variables: EDN constants and database values as bindings
//! (refs bind as longs), and the `:in` binding forms (scalar, tuple, collection and
//! relation) that inputs and function expressions share.

use super::builtins;
use super::eval::Row;
use super::parse::{InBinding, incorrect, is_var, owned};
use crate::anomaly::IonError;
use crate::db::value::{F64, Value, ValueType};
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
        Edn::Tagged(t, _) if t == "inst" => {
            Value::from_edn(e, ValueType::Instant).map_err(incorrect)?
        }
        Edn::Tagged(t, _) if t == "uuid" => {
            Value::from_edn(e, ValueType::Uuid).map_err(incorrect)?
        }
        other => {
            return Err(incorrect(format!(
                "{} cannot be a query value",
                ion_edn::print(other)
            )));
        }
    })
}

/// The binding form of an `:in` binding.
pub fn in_form(b: &InBinding) -> Edn<'static> {
    let sym = |s: &str| Edn::Symbol(s.to_owned().into());
    match b {
        InBinding::Scalar(v) => sym(v),
        InBinding::Coll(v) => Edn::Vector(vec![sym(v), sym("...")]),
        InBinding::Tuple(vs) => Edn::Vector(vs.iter().map(|v| sym(v)).collect()),
        InBinding::Relation(vs) => {
            Edn::Vector(vec![Edn::Vector(vs.iter().map(|v| sym(v)).collect())])
        }
        InBinding::Source(_) | InBinding::Rules => Edn::Nil,
    }
}

/// Binds `value` to binding form `form` (`?x`, `[?x ...]`, `[?x ?y]`, `[[?x ?y]]`) in
/// every row.
pub fn bind_form(rows: Vec<Row>, form: &Edn<'_>, value: &Edn<'_>) -> Result<Vec<Row>, IonError> {
    let bind = |row: &Row, var: &Edn<'_>, v: &Edn<'_>| -> Result<Option<Row>, IonError> {
        if matches!(var, Edn::Symbol(s) if s == "_") {
            return Ok(Some(row.clone()));
        }
        let name = is_var(var)
            .ok_or_else(|| incorrect(format!("bad binding form {}", ion_edn::print(var))))?;
        let v = constant(v)?;
        match row.get(name.as_str()) {
            Some(bound) if builtins::compare(bound, &v).is_ne() => Ok(None),
            _ => {
                let mut next = row.clone();
                next.insert(Arc::from(name), v);
                Ok(Some(next))
            }
        }
    };
    let items = |v: &Edn<'_>| -> Result<Vec<Edn<'static>>, IonError> {
        match v {
            Edn::Vector(i) | Edn::List(i) => Ok(i.iter().map(owned).collect()),
            Edn::Set(i) => Ok(i.iter().map(owned).collect()),
            other => Err(incorrect(format!(
                "expected a collection to bind, found {}",
                ion_edn::print(other)
            ))),
        }
    };
    let mut out = Vec::new();
    for row in &rows {
        match form {
            Edn::Vector(f) if f.len() == 2 && matches!(&f[1], Edn::Symbol(s) if s == "...") => {
                for v in items(value)? {
                    out.extend(bind(row, &f[0], &v)?);
                }
            }
            Edn::Vector(f) if f.len() == 1 && matches!(&f[0], Edn::Vector(_)) => {
                let Edn::Vector(vars) = &f[0] else {
                    unreachable!()
                };
                for tuple in items(value)? {
                    let vals = items(&tuple)?;
                    let mut r = Some(row.clone());
                    for (var, v) in vars.iter().zip(&vals) {
                        r = match r {
                            Some(r) => bind(&r, var, v)?,
                            None => None,
                        };
                    }
                    out.extend(r);
                }
            }
            Edn::Vector(vars) => {
                let vals = items(value)?;
                let mut r = Some(row.clone());
                for (var, v) in vars.iter().zip(&vals) {
                    r = match r {
                        Some(r) => bind(&r, var, v)?,
                        None => None,
                    };
                }
                out.extend(r);
            }
            var => {
                if *value == Edn::Nil {
                    continue;
                }
                out.extend(bind(row, var, value)?);
            }
        }
    }
    Ok(out)
}
