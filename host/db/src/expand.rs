//! Expanding transaction data into operations: list forms, map forms (nested maps,
//! reverse attributes, collections for cardinality-many), and calls of ion transaction
//! functions, whose returned tx-data is expanded in turn. Every function sees the
//! database as it was before the transaction. Nothing is resolved or written here.

use super::Functions;
use super::value::{Value, ValueType};
use super::value_db::Db;
use ion_anomaly::{Category, IonError};
use ion_edn::Edn;

/// How deep transaction functions may call transaction functions.
pub const MAX_TX_FN_DEPTH: usize = 32;

/// An entity named in tx-data, before resolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ERef {
    /// An entity id.
    Id(i64),
    /// A tempid.
    Temp(String),
    /// A lookup ref `[attr value]`.
    Lookup(i64, Value),
    /// The transaction being made (`"datomic.tx"`).
    Tx,
}

/// A value in tx-data: a plain value, or an entity for a ref attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VRef {
    /// A value of the attribute's type.
    Val(Value),
    /// An entity (ref attributes).
    Entity(ERef),
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `[:db/add e a v]`
    Add(ERef, i64, VRef),
    /// `[:db/retract e a v]`, or every value without `v`.
    Retract(ERef, i64, Option<VRef>),
    /// `[:db/cas e a old new]`
    Cas(ERef, i64, Option<VRef>, VRef),
    /// `[:db/retractEntity e]`
    RetractEntity(ERef),
}

fn incorrect(msg: String) -> IonError {
    IonError::new(Category::Incorrect, msg)
}

/// Expands `tx_data` against `db` (the value before the transaction).
pub async fn expand(db: &Db, tx_data: &Edn<'_>, fns: &dyn Functions) -> Result<Vec<Op>, IonError> {
    let mut ops = Vec::new();
    let mut counter = 0;
    expand_into(db, tx_data, fns, 0, &mut ops, &mut counter).await?;
    Ok(ops)
}

fn expand_into<'a>(
    db: &'a Db,
    tx_data: &'a Edn<'_>,
    fns: &'a dyn Functions,
    depth: usize,
    ops: &'a mut Vec<Op>,
    counter: &'a mut usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), IonError>> + Send + 'a>> {
    Box::pin(async move {
        let items = match tx_data {
            Edn::Vector(items) | Edn::List(items) => items,
            other => {
                return Err(incorrect(format!(
                    "tx-data must be a vector of list forms and maps, found {}",
                    ion_edn::type_name(other)
                )));
            }
        };
        for item in items {
            match item {
                Edn::Map(_) => {
                    map_form(db, item, ops, counter)?;
                }
                Edn::Vector(form) | Edn::List(form) => {
                    let head = form
                        .first()
                        .ok_or_else(|| incorrect("an empty list form in tx-data".into()))?;
                    let name = match head {
                        Edn::Key(k) | Edn::Symbol(k) => k.to_string(),
                        other => {
                            return Err(incorrect(format!(
                                "a list form starts with an operation (:db/add, :db/retract, :db/cas, :db/retractEntity or a transaction function), found {}",
                                ion_edn::print(other)
                            )));
                        }
                    };
                    match name.as_str() {
                        "db/add" | "db/retract" | "db/cas" | "db/retractEntity" => {
                            ops.push(list_form(db, &name, form)?)
                        }
                        _ if name.contains('/') && !name.starts_with("db") => {
                            if depth >= MAX_TX_FN_DEPTH {
                                return Err(incorrect(format!(
                                    "transaction functions nest deeper than {MAX_TX_FN_DEPTH} at {name}: a function that calls itself without end?"
                                )));
                            }
                            let args: Vec<Edn<'static>> = form[1..]
                                .iter()
                                .map(|a| ion_edn::read(&ion_edn::print(a)).unwrap_or(Edn::Nil))
                                .collect();
                            let result = fns.tx_fn(&name, db, args).await?;
                            if !matches!(result, Edn::Vector(_) | Edn::List(_)) {
                                return Err(incorrect(format!(
                                    "transaction function {name} returned {}, not tx-data (a vector)",
                                    ion_edn::print(&result)
                                )));
                            }
                            expand_into(db, &result, fns, depth + 1, ops, counter)
                                .await
                                .map_err(|e| {
                                    e.context(&format!("in the tx-data {name} returned"))
                                })?;
                        }
                        _ => {
                            return Err(incorrect(format!(
                                "unknown operation :{name} in {}",
                                ion_edn::print(item)
                            )));
                        }
                    }
                }
                other => {
                    return Err(incorrect(format!(
                        "tx-data holds list forms and maps, found {}",
                        ion_edn::print(other)
                    )));
                }
            }
        }
        Ok(())
    })
}

/// The attribute an EDN value names.
pub fn attr_id(db: &Db, a: &Edn<'_>) -> Result<i64, IonError> {
    let id = match a {
        Edn::Key(k) => db.schema.idents.get(k.as_ref()).copied(),
        Edn::Int(n) => Some(*n),
        _ => None,
    };
    id.filter(|id| db.schema.attrs.contains_key(id))
        .ok_or_else(|| {
            IonError::new(
                Category::Incorrect,
                format!("{} is not an attribute of this database", ion_edn::print(a)),
            )
        })
}

/// The entity an EDN value names.
pub fn entity_ref(db: &Db, e: &Edn<'_>) -> Result<ERef, IonError> {
    match e {
        Edn::Int(n) => Ok(ERef::Id(*n)),
        Edn::Str(s) if s == "datomic.tx" => Ok(ERef::Tx),
        Edn::Str(s) => Ok(ERef::Temp(s.to_string())),
        Edn::Key(k) => db
            .schema
            .idents
            .get(k.as_ref())
            .map(|id| ERef::Id(*id))
            .ok_or_else(|| incorrect(format!(":{k} is not an ident of this database"))),
        Edn::Vector(pair) | Edn::List(pair) if pair.len() == 2 => {
            let a = attr_id(db, &pair[0])?;
            let attr = &db.schema.attrs[&a];
            if attr.unique.is_none() {
                return Err(incorrect(format!(
                    "lookup ref {}: :{} is not unique",
                    ion_edn::print(e),
                    attr.ident
                )));
            }
            let v = Value::from_edn(&pair[1], attr.value_type)
                .map_err(|m| incorrect(format!("lookup ref {}: {m}", ion_edn::print(e))))?;
            Ok(ERef::Lookup(a, v))
        }
        other => Err(incorrect(format!(
            "expected an entity id, ident, tempid or lookup ref, found {}",
            ion_edn::print(other)
        ))),
    }
}

/// The value `v` for attribute `a`.
fn value_ref(db: &Db, a: i64, v: &Edn<'_>) -> Result<VRef, IonError> {
    let attr = &db.schema.attrs[&a];
    if attr.value_type == ValueType::Ref {
        return entity_ref(db, v).map(VRef::Entity);
    }
    Value::from_edn(v, attr.value_type)
        .map(VRef::Val)
        .map_err(|m| incorrect(format!(":{}: {m}", attr.ident)))
}

fn list_form(db: &Db, op: &str, form: &[Edn<'_>]) -> Result<Op, IonError> {
    let shape = |want: &str| {
        incorrect(format!(
            "[:{op} …] takes {want}; found {}",
            ion_edn::print(&Edn::Vector(
                form.iter()
                    .map(|f| ion_edn::read(&ion_edn::print(f)).unwrap_or(Edn::Nil))
                    .collect()
            ))
        ))
    };
    match (op, form.len()) {
        ("db/add", 4) => {
            let a = attr_id(db, &form[2])?;
            Ok(Op::Add(
                entity_ref(db, &form[1])?,
                a,
                value_ref(db, a, &form[3])?,
            ))
        }
        ("db/retract", 3 | 4) => {
            let a = attr_id(db, &form[2])?;
            let v = form.get(3).map(|v| value_ref(db, a, v)).transpose()?;
            Ok(Op::Retract(entity_ref(db, &form[1])?, a, v))
        }
        ("db/cas", 5) => {
            let a = attr_id(db, &form[2])?;
            let old = match &form[3] {
                Edn::Nil => None,
                v => Some(value_ref(db, a, v)?),
            };
            Ok(Op::Cas(
                entity_ref(db, &form[1])?,
                a,
                old,
                value_ref(db, a, &form[4])?,
            ))
        }
        ("db/retractEntity", 2) => Ok(Op::RetractEntity(entity_ref(db, &form[1])?)),
        ("db/add", _) => Err(shape("an entity, an attribute and a value")),
        ("db/retract", _) => Err(shape("an entity, an attribute and optionally a value")),
        ("db/cas", _) => Err(shape(
            "an entity, an attribute, the old value (or nil) and the new value",
        )),
        _ => Err(shape("one entity")),
    }
}

/// A map form: its entity (given by `:db/id`, else a new tempid) and each attribute.
fn map_form(
    db: &Db,
    map: &Edn<'_>,
    ops: &mut Vec<Op>,
    counter: &mut usize,
) -> Result<ERef, IonError> {
    let Edn::Map(entries) = map else {
        unreachable!("called on maps")
    };
    let e = match ion_edn::get(map, "db/id") {
        Some(id) => entity_ref(db, id)?,
        None => {
            *counter += 1;
            ERef::Temp(format!("\u{0}map-{counter}"))
        }
    };
    for (k, v) in entries {
        let Edn::Key(name) = k else {
            return Err(incorrect(format!(
                "map form keys are attributes, found {}",
                ion_edn::print(k)
            )));
        };
        if name == "db/id" {
            continue;
        }
        if let Some((ns, rest)) = name.split_once('/')
            && let Some(forward) = rest.strip_prefix('_')
        {
            let a = attr_id(db, &ion_edn::keyword(&format!("{ns}/{forward}")))?;
            for item in many(v) {
                let from = nested_or_ref(db, item, ops, counter)?;
                ops.push(Op::Add(from, a, VRef::Entity(e.clone())));
            }
            continue;
        }
        let a = attr_id(db, k)?;
        let attr = db.schema.attrs[&a].clone();
        let is_lookup = |v: &Edn<'_>| match v {
            Edn::Vector(p) if p.len() == 2 => {
                matches!(&p[0], Edn::Key(k) if db.schema.attr(k).is_some_and(|a| a.unique.is_some()))
            }
            _ => false,
        };
        let values: Vec<&Edn<'_>> =
            if attr.many && !(attr.value_type == ValueType::Ref && is_lookup(v)) {
                many(v)
            } else {
                vec![v]
            };
        for item in values {
            let value = if attr.value_type == ValueType::Ref {
                VRef::Entity(nested_or_ref(db, item, ops, counter)?)
            } else {
                value_ref(db, a, item)?
            };
            ops.push(Op::Add(e.clone(), a, value));
        }
    }
    Ok(e)
}

fn many<'a, 'e>(v: &'a Edn<'e>) -> Vec<&'a Edn<'e>> {
    match v {
        Edn::Vector(items) | Edn::List(items) => items.iter().collect(),
        Edn::Set(items) => items.iter().collect(),
        one => vec![one],
    }
}

fn nested_or_ref(
    db: &Db,
    v: &Edn<'_>,
    ops: &mut Vec<Op>,
    counter: &mut usize,
) -> Result<ERef, IonError> {
    match v {
        Edn::Map(_) => map_form(db, v, ops, counter),
        other => entity_ref(db, other),
    }
}
