//! The schema as data: attributes are entities with `:db/ident`, `:db/valueType`,
//! `:db/cardinality` and the rest, and the schema is read back from the datoms after any
//! transaction that touches them. Also the built-in entities every database starts with.

use super::datom::Datom;
use super::value::{Value, ValueType};
use std::collections::HashMap;

/// Entity-id partitions: `eid = partition << 42 | n`.
pub const PART_DB: i64 = 0;
/// Transaction entities: `tx = PART_TX << 42 | t`.
pub const PART_TX: i64 = 1;
/// User entities.
pub const PART_USER: i64 = 2;
const SHIFT: u32 = 42;

/// The entity id `n` in `part`.
pub fn eid(part: i64, n: i64) -> i64 {
    (part << SHIFT) | n
}

/// The `t` of transaction entity `tx` (its number in the tx partition).
pub fn t_of(tx: i64) -> i64 {
    tx & ((1 << SHIFT) - 1)
}

/// The transaction entity of basis `t`.
pub fn tx_of(t: i64) -> i64 {
    eid(PART_TX, t)
}

/// `:db.unique/identity` or `:db.unique/value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// Upserts: a tempid with this attribute's value resolves to the existing entity.
    Identity,
    /// Refuses a second entity with the same value.
    Value,
}

/// One attribute, as its entity says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Its entity id.
    pub id: i64,
    /// Its ident, without the colon.
    pub ident: String,
    /// `:db/valueType`.
    pub value_type: ValueType,
    /// `:db.cardinality/many`.
    pub many: bool,
    /// `:db/unique`.
    pub unique: Option<Unique>,
    /// `:db/isComponent`.
    pub component: bool,
    /// `:db/noHistory`.
    pub no_history: bool,
    /// `:db.attr/preds`: fully qualified predicate names.
    pub preds: Vec<String>,
}

/// Every ident and attribute of a database value.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Attributes by entity id.
    pub attrs: HashMap<i64, Attr>,
    /// Entity ids by ident (attributes and every other ident, e.g. enum values).
    pub idents: HashMap<String, i64>,
    /// Idents by entity id.
    pub names: HashMap<i64, String>,
}

/// Built-in attributes: (id, ident, type, many).
pub const BUILTIN_ATTRS: &[(i64, &str, ValueType, bool)] = &[
    (1, "db/ident", ValueType::Keyword, false),
    (2, "db/valueType", ValueType::Ref, false),
    (3, "db/cardinality", ValueType::Ref, false),
    (4, "db/unique", ValueType::Ref, false),
    (5, "db/isComponent", ValueType::Boolean, false),
    (6, "db/doc", ValueType::String, false),
    (7, "db/noHistory", ValueType::Boolean, false),
    (8, "db/txInstant", ValueType::Instant, false),
    (9, "db.attr/preds", ValueType::Symbol, true),
    (10, "db/ensure", ValueType::Ref, true),
    (11, "db.entity/attrs", ValueType::Keyword, true),
    (12, "db.entity/preds", ValueType::Symbol, true),
    (13, "db/tupleType", ValueType::Keyword, false),
];

/// Attribute ids the transactor and schema reader use by name.
pub const IDENT: i64 = 1;
/// `:db/valueType`
pub const VALUE_TYPE: i64 = 2;
/// `:db/cardinality`
pub const CARDINALITY: i64 = 3;
/// `:db/unique`
pub const UNIQUE: i64 = 4;
/// `:db/isComponent`
pub const IS_COMPONENT: i64 = 5;
/// `:db/noHistory`
pub const NO_HISTORY: i64 = 7;
/// `:db/txInstant`
pub const TX_INSTANT: i64 = 8;
/// `:db.attr/preds`
pub const ATTR_PREDS: i64 = 9;
/// `:db/ensure`
pub const ENSURE: i64 = 10;
/// `:db.entity/attrs`
pub const ENTITY_ATTRS: i64 = 11;
/// `:db.entity/preds`
pub const ENTITY_PREDS: i64 = 12;

/// Built-in idents that are not attributes.
const ENUMS: &[&str] = &[
    "db.cardinality/one",
    "db.cardinality/many",
    "db.unique/identity",
    "db.unique/value",
    "db.part/db",
    "db.part/tx",
    "db.part/user",
];

/// The first entity number given to user entities and transactions.
pub const FIRST_USER_N: i64 = 1000;

/// The datoms every database starts with, in transaction `t` 0.
pub fn bootstrap() -> Vec<Datom> {
    let tx = tx_of(0);
    let mut out = Vec::new();
    let mut ident_id = HashMap::new();
    let mut next = 100;
    for (id, ident, ..) in BUILTIN_ATTRS {
        ident_id.insert(ident.to_string(), *id);
    }
    for (t, _) in ValueType::ALL {
        ident_id.insert(t.ident(), next);
        next += 1;
    }
    for e in ENUMS {
        ident_id.insert(e.to_string(), next);
        next += 1;
    }
    let add = |out: &mut Vec<Datom>, e: i64, a: i64, v: Value| {
        out.push(Datom {
            e,
            a,
            v,
            tx,
            added: true,
        })
    };
    let mut idents: Vec<(&String, &i64)> = ident_id.iter().collect();
    idents.sort_by_key(|(_, id)| **id);
    for (ident, id) in idents {
        add(&mut out, *id, IDENT, Value::Keyword(ident.clone()));
    }
    for (id, _, t, many) in BUILTIN_ATTRS {
        add(&mut out, *id, VALUE_TYPE, Value::Ref(ident_id[&t.ident()]));
        let card = if *many {
            "db.cardinality/many"
        } else {
            "db.cardinality/one"
        };
        add(&mut out, *id, CARDINALITY, Value::Ref(ident_id[card]));
    }
    add(
        &mut out,
        IDENT,
        UNIQUE,
        Value::Ref(ident_id["db.unique/identity"]),
    );
    add(&mut out, tx, TX_INSTANT, Value::Instant(0));
    out
}

impl Schema {
    /// Reads the schema from a database's current datoms (`eavt`, every datom asserted).
    pub fn read<'a>(datoms: impl Iterator<Item = &'a Datom> + Clone) -> Schema {
        let mut s = Schema::default();
        for d in datoms.clone() {
            if d.a == IDENT
                && let Value::Keyword(k) = &d.v
            {
                s.idents.insert(k.clone(), d.e);
                s.names.insert(d.e, k.clone());
            }
        }
        /// What the datoms say of one attribute so far.
        #[derive(Default)]
        struct Draft {
            value_type: Option<ValueType>,
            many: bool,
            unique: Option<Unique>,
            component: bool,
            no_history: bool,
            preds: Vec<String>,
        }
        let mut drafts: HashMap<i64, Draft> = HashMap::new();
        for d in datoms {
            let name = |v: &Value| match v {
                Value::Ref(r) => s.names.get(r).cloned().unwrap_or_default(),
                _ => String::new(),
            };
            if !matches!(
                d.a,
                VALUE_TYPE | CARDINALITY | UNIQUE | IS_COMPONENT | NO_HISTORY | ATTR_PREDS
            ) {
                continue;
            }
            let draft = drafts.entry(d.e).or_default();
            match d.a {
                VALUE_TYPE => draft.value_type = ValueType::from_ident(&name(&d.v)),
                CARDINALITY => draft.many = name(&d.v) == "db.cardinality/many",
                UNIQUE => {
                    draft.unique = match name(&d.v).as_str() {
                        "db.unique/identity" => Some(Unique::Identity),
                        "db.unique/value" => Some(Unique::Value),
                        _ => None,
                    }
                }
                IS_COMPONENT => draft.component = d.v == Value::Bool(true),
                NO_HISTORY => draft.no_history = d.v == Value::Bool(true),
                _ => {
                    if let Value::Symbol(p) = &d.v {
                        draft.preds.push(p.clone());
                    }
                }
            }
        }
        for (id, draft) in drafts {
            let (Some(value_type), Some(ident)) = (draft.value_type, s.names.get(&id)) else {
                continue;
            };
            s.attrs.insert(
                id,
                Attr {
                    id,
                    ident: ident.clone(),
                    value_type,
                    many: draft.many,
                    unique: draft.unique,
                    component: draft.component,
                    no_history: draft.no_history,
                    preds: draft.preds,
                },
            );
        }
        s
    }

    /// The attribute called `ident`.
    pub fn attr(&self, ident: &str) -> Option<&Attr> {
        self.idents.get(ident).and_then(|id| self.attrs.get(id))
    }

    /// The attributes the schema is read from.
    pub const SCHEMA_ATTRS: [i64; 7] = [
        IDENT,
        VALUE_TYPE,
        CARDINALITY,
        UNIQUE,
        IS_COMPONENT,
        NO_HISTORY,
        ATTR_PREDS,
    ];

    /// Whether a datom of attribute `a` changes the schema.
    pub fn is_schema_attr(a: i64) -> bool {
        Schema::SCHEMA_ATTRS.contains(&a)
    }
}
