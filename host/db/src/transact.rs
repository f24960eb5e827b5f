//! The transactor: resolves expanded operations (tempids with upsert, lookup refs,
//! idents) into datoms against the database before the transaction, checks them (value
//! types, cardinality, uniqueness, `:db/cas`, attribute and entity predicates), and
//! makes the database after. A failure names the datom, attribute and what was
//! expected, and changes nothing.

use super::Functions;
use super::datom::Datom;
use super::expand::{ERef, Op, VRef, expand};
use super::schema::{self, PART_USER, Unique, eid, tx_of};
use super::value::{Value, ValueType};
use super::value_db::{Components, Db, Index};
use ion_anomaly::{Category, IonError};
use ion_edn::Edn;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a transaction did.
#[derive(Clone)]
pub struct TxReport {
    /// The database before.
    pub db_before: Db,
    /// The database after.
    pub db_after: Db,
    /// The datoms it added (assertions and retractions), the transaction's own included.
    pub tx_data: Vec<Datom>,
    /// What each tempid resolved to.
    pub tempids: BTreeMap<String, i64>,
}

impl std::fmt::Debug for TxReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxReport")
            .field("basis_t", &self.db_after.basis_t())
            .field("tx_data", &self.tx_data)
            .field("tempids", &self.tempids)
            .finish()
    }
}

fn incorrect(msg: String) -> IonError {
    IonError::new(Category::Incorrect, msg)
}

fn conflict(msg: String) -> IonError {
    IonError::new(Category::Conflict, msg)
}

/// Runs `tx_data` against `db` at wall-clock `now_ms`.
pub async fn transact(
    db: &Db,
    tx_data: &Edn<'_>,
    fns: &dyn Functions,
    now_ms: i64,
) -> Result<TxReport, IonError> {
    let ops = expand(db, tx_data, fns).await?;
    let mut tx = Resolver::new(db, now_ms);
    let datoms = tx.resolve(&ops)?;
    let t = db.basis_t() + 1;
    let instant = datoms
        .iter()
        .find(|d| d.e == tx_of(t) && d.a == schema::TX_INSTANT)
        .and_then(|d| match d.v {
            Value::Instant(ms) => Some(ms),
            _ => None,
        })
        .unwrap_or(now_ms);
    let db_after = db.with_datoms(&datoms, t, tx.next_n, instant)?;
    check_new_attributes(&db_after, &datoms)?;
    check_attr_preds(&db_after, &datoms, fns).await?;
    check_entity_preds(&db_after, &tx.ensure, fns).await?;
    let tempids = tx
        .temps
        .iter()
        .filter(|(k, _)| !k.starts_with('\u{0}'))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    Ok(TxReport {
        db_before: db.clone(),
        db_after,
        tx_data: datoms,
        tempids,
    })
}

struct Resolver<'a> {
    db: &'a Db,
    t: i64,
    now_ms: i64,
    next_n: i64,
    temps: BTreeMap<String, i64>,
    /// Entities with `:db/ensure` specs in this transaction.
    ensure: Vec<(i64, i64)>,
}

impl<'a> Resolver<'a> {
    fn new(db: &'a Db, now_ms: i64) -> Resolver<'a> {
        Resolver {
            db,
            t: db.basis_t() + 1,
            now_ms,
            next_n: db.next_n,
            temps: BTreeMap::new(),
            ensure: Vec::new(),
        }
    }

    fn resolve(&mut self, ops: &[Op]) -> Result<Vec<Datom>, IonError> {
        self.upsert(ops)?;
        let tx = tx_of(self.t);
        let mut adds: BTreeMap<(i64, i64, Value), ()> = BTreeMap::new();
        let mut retracts: BTreeSet<(i64, i64, Value)> = BTreeSet::new();
        let mut one: HashMap<(i64, i64), Value> = HashMap::new();
        let mut unique_claims: HashMap<(i64, Value), i64> = HashMap::new();
        let mut retract_entities = Vec::new();
        for op in ops {
            match op {
                Op::Add(e, a, v) | Op::Cas(e, a, _, v) => {
                    let e = self.entity(e)?;
                    let attr = self.db.schema.attrs[a].clone();
                    let v = self.value(a, v)?;
                    if *a == schema::ENSURE {
                        if let Value::Ref(spec) = v {
                            self.ensure.push((e, spec));
                        }
                        continue;
                    }
                    if let Op::Cas(_, _, old, _) = op {
                        let old = old.as_ref().map(|o| self.value(a, o)).transpose()?;
                        let now = self.db.values(e, *a)?.into_iter().next();
                        if now != old {
                            return Err(conflict(format!(
                                ":db/cas failed on entity {e} :{}: its value is {}, the transaction expected {}",
                                attr.ident,
                                now.map_or("nothing".into(), |v| ion_edn::print(&v.to_edn())),
                                old.map_or("nothing".into(), |v| ion_edn::print(&v.to_edn()))
                            )));
                        }
                    }
                    if !attr.many
                        && let Some(prev) = one.insert((e, *a), v.clone())
                        && prev != v
                    {
                        return Err(conflict(format!(
                            "two values for cardinality-one :{} of entity {e} in one transaction: {} and {}",
                            attr.ident,
                            ion_edn::print(&prev.to_edn()),
                            ion_edn::print(&v.to_edn())
                        )));
                    }
                    if attr.unique.is_some() {
                        if let Some(other) = unique_claims.insert((*a, v.clone()), e)
                            && other != e
                        {
                            return Err(conflict(format!(
                                "entities {other} and {e} both claim unique :{} {}",
                                attr.ident,
                                ion_edn::print(&v.to_edn())
                            )));
                        }
                        if let Some(owner) = self.db.entity_with(*a, &v)?
                            && owner != e
                        {
                            return Err(conflict(format!(
                                "unique :{} {} already belongs to entity {owner}; entity {e} cannot have it",
                                attr.ident,
                                ion_edn::print(&v.to_edn())
                            )));
                        }
                    }
                    adds.insert((e, *a, v), ());
                }
                Op::Retract(e, a, v) => {
                    let e = self.entity(e)?;
                    match v {
                        Some(v) => {
                            let v = self.value(a, v)?;
                            retracts.insert((e, *a, v));
                        }
                        None => {
                            for v in self.db.values(e, *a)? {
                                retracts.insert((e, *a, v));
                            }
                        }
                    }
                }
                Op::RetractEntity(e) => retract_entities.push(self.entity(e)?),
            }
        }
        let mut seen = BTreeSet::new();
        while let Some(e) = retract_entities.pop() {
            if !seen.insert(e) {
                continue;
            }
            for d in self.db.datoms(
                Index::Eavt,
                &Components {
                    e: Some(e),
                    ..Default::default()
                },
            )? {
                if self.db.schema.attrs.get(&d.a).is_some_and(|a| a.component)
                    && let Value::Ref(child) = d.v
                {
                    retract_entities.push(child);
                }
                retracts.insert((d.e, d.a, d.v.clone()));
            }
            for d in self.db.datoms(
                Index::Vaet,
                &Components {
                    v: Some(Value::Ref(e)),
                    ..Default::default()
                },
            )? {
                retracts.insert((d.e, d.a, d.v.clone()));
            }
        }
        let mut datoms = Vec::new();
        for (e, a, v) in &retracts {
            if adds.contains_key(&(*e, *a, v.clone())) {
                return Err(conflict(format!(
                    "entity {e} :{} {} is both asserted and retracted in one transaction",
                    self.db.schema.attrs[a].ident,
                    ion_edn::print(&v.to_edn())
                )));
            }
            if self.db.values(*e, *a)?.contains(v) {
                datoms.push(Datom {
                    e: *e,
                    a: *a,
                    v: v.clone(),
                    tx,
                    added: false,
                });
            }
        }
        for (e, a, v) in adds.into_keys() {
            let attr = &self.db.schema.attrs[&a];
            let now = self.db.values(e, a)?;
            if now.contains(&v) {
                continue;
            }
            if !attr.many {
                for old in now {
                    if !retracts.contains(&(e, a, old.clone())) {
                        datoms.push(Datom {
                            e,
                            a,
                            v: old,
                            tx,
                            added: false,
                        });
                    }
                }
            }
            datoms.push(Datom {
                e,
                a,
                v,
                tx,
                added: true,
            });
        }
        if !datoms
            .iter()
            .any(|d| d.e == tx && d.a == schema::TX_INSTANT)
        {
            datoms.push(Datom {
                e: tx,
                a: schema::TX_INSTANT,
                v: Value::Instant(self.now_ms),
                tx,
                added: true,
            });
        }
        Ok(datoms)
    }

    /// Resolves tempids through `:db.unique/identity` values that already exist.
    fn upsert(&mut self, ops: &[Op]) -> Result<(), IonError> {
        for op in ops {
            let Op::Add(ERef::Temp(temp), a, v) = op else {
                continue;
            };
            let attr = &self.db.schema.attrs[a];
            if attr.unique != Some(Unique::Identity) {
                continue;
            }
            let value = match v {
                VRef::Val(v) => v.clone(),
                VRef::Entity(ERef::Temp(_)) => continue,
                VRef::Entity(e) => Value::Ref(self.entity(e)?),
            };
            if let Some(existing) = self.db.entity_with(*a, &value)? {
                match self.temps.insert(temp.clone(), existing) {
                    Some(other) if other != existing => {
                        return Err(conflict(format!(
                            "tempid {temp:?} upserts to two entities, {other} and {existing}"
                        )));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn entity(&mut self, e: &ERef) -> Result<i64, IonError> {
        Ok(match e {
            ERef::Id(id) => *id,
            ERef::Tx => tx_of(self.t),
            ERef::Temp(t) => match self.temps.get(t) {
                Some(id) => *id,
                None => {
                    let id = eid(PART_USER, self.next_n);
                    self.next_n += 1;
                    self.temps.insert(t.clone(), id);
                    id
                }
            },
            ERef::Lookup(a, v) => self.db.entity_with(*a, v)?.ok_or_else(|| {
                IonError::new(
                    Category::NotFound,
                    format!(
                        "lookup ref [:{} {}] names no entity",
                        self.db.schema.attrs[a].ident,
                        ion_edn::print(&v.to_edn())
                    ),
                )
            })?,
        })
    }

    fn value(&mut self, _a: &i64, v: &VRef) -> Result<Value, IonError> {
        match v {
            VRef::Val(v) => Ok(v.clone()),
            VRef::Entity(e) => Ok(Value::Ref(self.entity(e)?)),
        }
    }
}

/// A new attribute needs a value type and a cardinality.
fn check_new_attributes(db: &Db, datoms: &[Datom]) -> Result<(), IonError> {
    for d in datoms
        .iter()
        .filter(|d| d.added && d.a == schema::VALUE_TYPE)
    {
        if db.values(d.e, schema::CARDINALITY)?.is_empty()
            || db.values(d.e, schema::IDENT)?.is_empty()
        {
            return Err(incorrect(format!(
                "attribute entity {} needs :db/ident, :db/valueType and :db/cardinality",
                d.e
            )));
        }
        if let Value::Ref(t) = d.v
            && db
                .schema
                .names
                .get(&t)
                .and_then(|n| ValueType::from_ident(n))
                .is_none()
        {
            return Err(incorrect(format!(
                "entity {} has :db/valueType {t}, which is not a value type",
                d.e
            )));
        }
    }
    Ok(())
}

async fn check_attr_preds(db: &Db, datoms: &[Datom], fns: &dyn Functions) -> Result<(), IonError> {
    for d in datoms.iter().filter(|d| d.added) {
        let Some(attr) = db.schema.attrs.get(&d.a) else {
            continue;
        };
        for pred in &attr.preds {
            let ok = fns.predicate(pred, vec![d.v.to_edn()], None).await?;
            if ok != Edn::Bool(true) {
                return Err(incorrect(format!(
                    "attribute predicate {pred} refused :{} {} of entity {}",
                    attr.ident,
                    ion_edn::print(&d.v.to_edn()),
                    d.e
                )));
            }
        }
    }
    Ok(())
}

async fn check_entity_preds(
    db: &Db,
    ensure: &[(i64, i64)],
    fns: &dyn Functions,
) -> Result<(), IonError> {
    for (e, spec) in ensure {
        let spec_name = db
            .schema
            .names
            .get(spec)
            .cloned()
            .unwrap_or_else(|| spec.to_string());
        for attr in db.values(*spec, schema::ENTITY_ATTRS)? {
            let Value::Keyword(name) = &attr else {
                continue;
            };
            let has = match db.schema.attr(name) {
                Some(a) => !db.values(*e, a.id)?.is_empty(),
                None => false,
            };
            if !has {
                return Err(incorrect(format!(
                    "entity {e} fails :db/ensure :{spec_name}: it lacks required attribute :{name}"
                )));
            }
        }
        for pred in db.values(*spec, schema::ENTITY_PREDS)? {
            let Value::Symbol(pred) = pred else { continue };
            let ok = fns.predicate(&pred, vec![Edn::Int(*e)], Some(db)).await?;
            if ok != Edn::Bool(true) {
                return Err(incorrect(format!(
                    "entity {e} fails :db/ensure :{spec_name}: entity predicate {pred} returned {}",
                    ion_edn::print(&ok)
                )));
            }
        }
    }
    Ok(())
}
