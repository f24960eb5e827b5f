//! Database values: the typed value of a datom, its value types, and conversion to and
//! from EDN. A value is checked against its attribute's `:db/valueType` when it enters
//! the database; ordering is total (doubles by IEEE total order), so values can sit in
//! sorted indexes.

use ion_edn::Edn;
use std::cmp::Ordering;

/// An `f64` ordered by `total_cmp`.
#[derive(Debug, Clone, Copy)]
pub struct F64(pub f64);

impl PartialEq for F64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for F64 {}
impl std::hash::Hash for F64 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state)
    }
}
impl PartialOrd for F64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for F64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A datom's value. `Bool(false)` is the least value (range scans start there).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// `:db.type/boolean`
    Bool(bool),
    /// `:db.type/long`
    Long(i64),
    /// `:db.type/double`
    Double(F64),
    /// `:db.type/instant`, milliseconds since the epoch.
    Instant(i64),
    /// `:db.type/ref`, an entity id.
    Ref(i64),
    /// `:db.type/string`
    Str(String),
    /// `:db.type/keyword`, without the colon.
    Keyword(String),
    /// `:db.type/symbol`
    Symbol(String),
    /// `:db.type/uuid`, canonical lower-case text.
    Uuid(String),
    /// `:db.type/bigint`, decimal digits.
    BigInt(String),
    /// `:db.type/bigdec`, decimal text.
    BigDec(String),
    /// `:db.type/uri`
    Uri(String),
    /// `:db.type/tuple`
    Tuple(Vec<Value>),
}

/// The value types of `:db/valueType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    String,
    Long,
    Double,
    Boolean,
    Keyword,
    Symbol,
    Ref,
    Instant,
    Uuid,
    BigDec,
    BigInt,
    Uri,
    Tuple,
}

impl ValueType {
    /// Every type with its ident's name (`:db.type/NAME`).
    pub const ALL: [(ValueType, &'static str); 13] = [
        (ValueType::String, "string"),
        (ValueType::Long, "long"),
        (ValueType::Double, "double"),
        (ValueType::Boolean, "boolean"),
        (ValueType::Keyword, "keyword"),
        (ValueType::Symbol, "symbol"),
        (ValueType::Ref, "ref"),
        (ValueType::Instant, "instant"),
        (ValueType::Uuid, "uuid"),
        (ValueType::BigDec, "bigdec"),
        (ValueType::BigInt, "bigint"),
        (ValueType::Uri, "uri"),
        (ValueType::Tuple, "tuple"),
    ];

    /// The type named by ident `db.type/NAME`.
    pub fn from_ident(ident: &str) -> Option<ValueType> {
        let name = ident.strip_prefix("db.type/")?;
        ValueType::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(t, _)| *t)
    }

    /// `:db.type/NAME`.
    pub fn ident(self) -> String {
        let name = ValueType::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("?", |(_, n)| n);
        format!("db.type/{name}")
    }
}

pub use crate::instant::{format_instant, parse_instant};

/// A value that is not of the type asked for: an `incorrect` anomaly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a value of type :{}, found {found}", expected.ident())]
pub struct ValueError {
    /// The type asked for.
    pub expected: ValueType,
    /// The value found, printed as EDN.
    pub found: String,
}

impl From<ValueError> for ion_anomaly::IonError {
    fn from(e: ValueError) -> Self {
        ion_anomaly::IonError::new(ion_anomaly::Category::Incorrect, e.to_string())
    }
}

impl Value {
    /// The value `v` as type `t` (refs are resolved by the transactor, not here), or what
    /// was expected.
    pub fn from_edn(v: &Edn<'_>, t: ValueType) -> Result<Value, ValueError> {
        let expected = || ValueError {
            expected: t,
            found: ion_edn::print(v),
        };
        Ok(match (t, v) {
            (ValueType::String, Edn::Str(s)) => Value::Str(s.to_string()),
            (ValueType::Long, Edn::Int(n)) => Value::Long(*n),
            (ValueType::Double, Edn::Double(d)) => Value::Double(F64(d.into_inner())),
            (ValueType::Double, Edn::Int(n)) => Value::Double(F64(*n as f64)),
            (ValueType::Boolean, Edn::Bool(b)) => Value::Bool(*b),
            (ValueType::Ref, Edn::Int(n)) => Value::Ref(*n),
            (ValueType::Keyword, Edn::Key(k)) => Value::Keyword(k.to_string()),
            (ValueType::Symbol, Edn::Symbol(s)) => Value::Symbol(s.to_string()),
            (ValueType::Instant, Edn::Tagged(tag, inner)) if tag == "inst" => {
                match inner.as_ref() {
                    Edn::Str(s) => Value::Instant(parse_instant(s).ok_or_else(expected)?),
                    _ => return Err(expected()),
                }
            }
            (ValueType::Uuid, Edn::Tagged(tag, inner)) if tag == "uuid" => match inner.as_ref() {
                Edn::Str(s) => Value::Uuid(
                    uuid::Uuid::parse_str(s)
                        .map_err(|_| expected())?
                        .hyphenated()
                        .to_string(),
                ),
                _ => return Err(expected()),
            },
            (ValueType::BigInt, Edn::BigInt(n)) => Value::BigInt(n.to_string()),
            (ValueType::BigInt, Edn::Int(n)) => Value::BigInt(n.to_string()),
            (ValueType::BigDec, Edn::BigDec(d)) => Value::BigDec(d.to_string()),
            (ValueType::Uri, Edn::Str(s)) if s.contains(':') => Value::Uri(s.to_string()),
            (ValueType::Uri, Edn::Tagged(tag, inner)) if tag == "uri" => match inner.as_ref() {
                Edn::Str(s) => Value::Uri(s.to_string()),
                _ => return Err(expected()),
            },
            (ValueType::Tuple, Edn::Vector(items)) => Value::Tuple(
                items
                    .iter()
                    .map(untyped)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| expected())?,
            ),
            _ => return Err(expected()),
        })
    }

    /// How deeply tuples nest in this value: 0 for a scalar, 1 for a tuple of scalars.
    pub fn depth(&self) -> usize {
        match self {
            Value::Tuple(items) => 1 + items.iter().map(Value::depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The value as EDN (a ref as its entity id).
    pub fn to_edn(&self) -> Edn<'static> {
        match self {
            Value::Bool(b) => Edn::Bool(*b),
            Value::Long(n) | Value::Ref(n) => Edn::Int(*n),
            Value::Double(d) => Edn::Double(d.0.into()),
            Value::Instant(ms) => Edn::Tagged(
                "inst".into(),
                Box::new(ion_edn::string(format_instant(*ms))),
            ),
            Value::Str(s) => ion_edn::string(s.clone()),
            Value::Keyword(k) => ion_edn::keyword(k),
            Value::Symbol(s) => Edn::Symbol(s.clone().into()),
            Value::Uuid(u) => Edn::Tagged("uuid".into(), Box::new(ion_edn::string(u.clone()))),
            Value::BigInt(n) => ion_edn::read(&format!("{n}N")).unwrap_or(Edn::Nil),
            Value::BigDec(d) => ion_edn::read(&format!("{d}M")).unwrap_or(Edn::Nil),
            Value::Uri(u) => Edn::Tagged("uri".into(), Box::new(ion_edn::string(u.clone()))),
            Value::Tuple(items) => Edn::Vector(items.iter().map(Value::to_edn).collect()),
        }
    }
}

/// A tuple element: typed by its EDN shape.
fn untyped(v: &Edn<'_>) -> Result<Value, ()> {
    Ok(match v {
        Edn::Str(s) => Value::Str(s.to_string()),
        Edn::Int(n) => Value::Long(*n),
        Edn::Double(d) => Value::Double(F64(d.into_inner())),
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Key(k) => Value::Keyword(k.to_string()),
        Edn::Symbol(s) => Value::Symbol(s.to_string()),
        Edn::Tagged(t, inner) if t == "inst" => match inner.as_ref() {
            Edn::Str(s) => Value::Instant(parse_instant(s).ok_or(())?),
            _ => return Err(()),
        },
        Edn::Tagged(t, inner) if t == "uuid" => match inner.as_ref() {
            Edn::Str(s) => Value::Uuid(s.to_string()),
            _ => return Err(()),
        },
        _ => return Err(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value_db::PointError;
    use ion_anomaly::{Category, IonError};

    /// A value of the wrong type and a point in time that names no `t` are `incorrect`
    /// anomalies, with the text callers have always seen.
    #[test]
    fn value_and_point_errors_keep_their_text_and_are_incorrect() {
        let e = Value::from_edn(&ion_edn::read("\"x\"").unwrap(), ValueType::Long).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a value of type :db.type/long, found \"x\""
        );
        let anomaly = IonError::from(e);
        assert_eq!(anomaly.category, Category::Incorrect);
        for (e, text) in [
            (
                PointError::NotAnInstant("#inst \"x\"".into()),
                "#inst \"x\" is not an instant",
            ),
            (
                PointError::NotAPoint(":k".into()),
                "expected a t, a transaction id or an #inst, found :k",
            ),
        ] {
            assert_eq!(e.to_string(), text);
            let anomaly = IonError::from(e);
            assert_eq!(
                (anomaly.category, anomaly.message.as_str()),
                (Category::Incorrect, text)
            );
        }
    }
}
