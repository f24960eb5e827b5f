//! JSON ⇄ EDN, the way Datomic hands JSON-born data to ions: object keys become keywords
//! (`{"functionName": …}` → `{:functionName …}`), `null` becomes `nil`.

use crate::Edn;
use serde_json::Value;
use std::collections::BTreeMap;

/// Converts JSON to EDN with keyword keys.
pub fn json_to_edn(value: &Value) -> Edn<'static> {
    match value {
        Value::Null => Edn::Nil,
        Value::Bool(b) => Edn::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Edn::Int(i),
            None => Edn::Double(n.as_f64().unwrap_or(f64::NAN).into()),
        },
        Value::String(s) => Edn::Str(s.clone().into()),
        Value::Array(items) => Edn::Vector(items.iter().map(json_to_edn).collect()),
        Value::Object(map) => Edn::Map(
            map.iter()
                .map(|(k, v)| (Edn::Key(k.clone().into()), json_to_edn(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// Converts EDN to JSON: keywords and symbols become strings (without the colon), sets and
/// lists become arrays, map keys are printed as strings. Returns `None` for values JSON
/// cannot hold (non-finite doubles).
pub fn edn_to_json(value: &Edn<'_>) -> Option<Value> {
    Some(match value {
        Edn::Nil => Value::Null,
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Int(i) => Value::from(*i),
        Edn::Double(d) => Value::from(serde_json::Number::from_f64(d.into_inner())?),
        Edn::Str(s) => Value::String(s.to_string()),
        Edn::Key(k) | Edn::Symbol(k) => Value::String(k.to_string()),
        Edn::Char(c) => Value::String(c.to_string()),
        Edn::Vector(items) | Edn::List(items) => {
            Value::Array(items.iter().map(edn_to_json).collect::<Option<_>>()?)
        }
        Edn::Set(items) => Value::Array(items.iter().map(edn_to_json).collect::<Option<_>>()?),
        Edn::Map(entries) => {
            let mut obj = serde_json::Map::new();
            for (k, v) in entries {
                let key = match k {
                    Edn::Key(k) | Edn::Symbol(k) | Edn::Str(k) => k.to_string(),
                    other => crate::print(other),
                };
                obj.insert(key, edn_to_json(v)?);
            }
            Value::Object(obj)
        }
        Edn::Tagged(_, inner) => edn_to_json(inner)?,
        other => Value::String(crate::print(other)),
    })
}
