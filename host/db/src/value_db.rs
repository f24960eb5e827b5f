//! A database value: every datom as of one basis `t`, plus the full history (every
//! assertion and retraction) for `as-of`, `since` and `history` views. The datoms are a
//! base (sorted runs read from a snapshot, shared by every value built on it: `base`)
//! and a tail of persistent sorted sets that share structure with the values before
//! them; reads merge the two. Immutable: a transaction makes a new value and leaves this
//! one as it was.

use super::base::{Base, Trouble, merged};
use super::datom::{AEVT, AVET, Datom, EAVT, Keyed, VAET, lower_bound};
pub use super::reads::{Components, Index, PointError, View};
use super::schema::{self, Schema, t_of, tx_of};
use super::storage::StorageError;
use super::value::{Value, ValueType};
use imbl::{OrdSet, Vector};
use std::sync::Arc;

/// What a snapshot holds of a value.
#[cfg(test)]
pub(crate) struct Parts {
    /// The current datoms, in EAVT order.
    pub current: Vec<Arc<Datom>>,
    /// Every assertion and retraction, in EAVT order.
    pub history: Vec<Arc<Datom>>,
    /// `(t, txInstant ms)` of every transaction.
    pub tx_times: Vec<(i64, i64)>,
}

/// One transaction applied since the base: what rebasing the value on a newer base
/// applies again.
pub(crate) struct Applied {
    pub t: i64,
    pub next_n: i64,
    pub instant_ms: i64,
    pub datoms: Vec<Arc<Datom>>,
}

/// An immutable database value.
#[derive(Clone)]
pub struct Db {
    pub(crate) basis_t: i64,
    pub(crate) next_n: i64,
    /// The datoms as of the index root (or snapshot) the value was opened from.
    pub(crate) base: Arc<Base>,
    /// The basis `t` of the base.
    pub(crate) base_t: i64,
    /// Datoms of the base that the tail retracted.
    pub(crate) removed: OrdSet<Keyed<EAVT>>,
    // The tail: datoms asserted (and history made) since the base.
    pub(crate) eavt: OrdSet<Keyed<EAVT>>,
    pub(crate) aevt: OrdSet<Keyed<AEVT>>,
    pub(crate) avet: OrdSet<Keyed<AVET>>,
    pub(crate) vaet: OrdSet<Keyed<VAET>>,
    pub(crate) history: OrdSet<Keyed<EAVT>>,
    /// The transactions of the tail, in order.
    pub(crate) log: Vector<Arc<Applied>>,
    /// `(t, txInstant ms)` of every transaction, in order.
    pub(crate) tx_times: Vector<(i64, i64)>,
    pub(crate) schema: Arc<Schema>,
    pub(crate) view: View,
}

impl Db {
    /// A database holding only the built-in schema.
    pub fn empty() -> Db {
        let db = Db {
            basis_t: 0,
            next_n: schema::FIRST_USER_N,
            base: Arc::default(),
            base_t: 0,
            removed: OrdSet::new(),
            eavt: OrdSet::new(),
            aevt: OrdSet::new(),
            avet: OrdSet::new(),
            vaet: OrdSet::new(),
            history: OrdSet::new(),
            log: Vector::new(),
            tx_times: Vector::new(),
            schema: Arc::new(Schema::default()),
            view: View::Current,
        };
        db.with_datoms(&schema::bootstrap(), 0, schema::FIRST_USER_N, 0)
            .expect("a value with an empty base reads no storage")
    }

    /// The value after applying `datoms` of transaction `t` (already checked).
    pub fn with_datoms(
        &self,
        datoms: &[Datom],
        t: i64,
        next_n: i64,
        instant_ms: i64,
    ) -> Result<Db, StorageError> {
        let mut db = self.clone();
        db.apply(datoms, t, next_n, instant_ms)?;
        Ok(db)
    }

    /// Applies `datoms` of transaction `t` to this value in place. When nothing else
    /// shares the indexes (replaying a log), no index node is copied.
    pub fn apply(
        &mut self,
        datoms: &[Datom],
        t: i64,
        next_n: i64,
        instant_ms: i64,
    ) -> Result<(), StorageError> {
        let datoms = datoms.iter().map(|d| Arc::new(d.clone())).collect();
        self.apply_shared(datoms, t, next_n, instant_ms)
    }

    /// `apply`, for datoms already shared.
    pub(crate) fn apply_shared(
        &mut self,
        datoms: Vec<Arc<Datom>>,
        t: i64,
        next_n: i64,
        instant_ms: i64,
    ) -> Result<(), StorageError> {
        let db = self;
        db.view = View::Current;
        let mut schema_changed = false;
        for d in &datoms {
            let d = d.clone();
            schema_changed |= Schema::is_schema_attr(d.a);
            let is_ref = d.a == schema::VALUE_TYPE
                || db
                    .schema
                    .attrs
                    .get(&d.a)
                    .is_some_and(|a| a.value_type == ValueType::Ref);
            let no_history = db.schema.attrs.get(&d.a).is_some_and(|a| a.no_history);
            if d.added {
                db.eavt.insert(Keyed(d.clone()));
                db.aevt.insert(Keyed(d.clone()));
                db.avet.insert(Keyed(d.clone()));
                if is_ref {
                    db.vaet.insert(Keyed(d.clone()));
                }
            } else if let Some(old) = db.current_datom(d.e, d.a, &d.v)? {
                if db.eavt.remove(&Keyed(old.clone())).is_some() {
                    db.aevt.remove(&Keyed(old.clone()));
                    db.avet.remove(&Keyed(old.clone()));
                    db.vaet.remove(&Keyed(old));
                } else {
                    // Asserted before the base: the base keeps it, the value hides it.
                    db.removed.insert(Keyed(old));
                }
            }
            if !no_history {
                db.history.insert(Keyed(d));
            }
        }
        // An attribute cannot be used in the transaction that defines it (the
        // transactor checks), so reading the schema once at the end is enough.
        if schema_changed {
            db.schema = Arc::new(db.read_schema()?);
        }
        db.basis_t = t;
        db.next_n = next_n;
        db.tx_times.push_back((t, instant_ms));
        db.log.push_back(Arc::new(Applied {
            t,
            next_n,
            instant_ms,
            datoms,
        }));
        Ok(())
    }

    /// The current datom `[e a v]`, whatever the view.
    fn current_datom(&self, e: i64, a: i64, v: &Value) -> Result<Option<Arc<Datom>>, StorageError> {
        let trouble = Trouble::default();
        let found = merged(
            &self.base,
            &self.base.eavt,
            &self.removed,
            &self.eavt,
            lower_bound(Some(e), Some(a), Some(v)),
            &trouble,
        )
        .next()
        .filter(|k| k.0.e == e && k.0.a == a && k.0.v == *v)
        .map(|k| k.0);
        trouble.check()?;
        Ok(found)
    }

    /// The schema, read from the schema attributes' datoms only (through AEVT), so the
    /// cost follows the schema's size, not the database's.
    fn read_schema(&self) -> Result<Schema, StorageError> {
        let trouble = Trouble::default();
        let datoms: Vec<Arc<Datom>> = Schema::SCHEMA_ATTRS
            .iter()
            .flat_map(|a| {
                merged(
                    &self.base,
                    &self.base.aevt,
                    &self.removed,
                    &self.aevt,
                    lower_bound(None, Some(*a), None),
                    &trouble,
                )
                .take_while(move |k| k.0.a == *a)
                .map(|k| k.0)
            })
            .collect();
        trouble.check()?;
        Ok(Schema::read(datoms.iter().map(|d| d.as_ref())))
    }

    /// The current datoms, the history and the transaction times (for snapshots).
    #[cfg(test)]
    pub(crate) fn parts(&self) -> Result<Parts, StorageError> {
        // The history is only ever added to: nothing of the base's is removed.
        let (none, trouble) = (OrdSet::new(), Trouble::default());
        let base = &self.base;
        let parts = Parts {
            current: super::base::whole(base, &base.eavt, &self.removed, &self.eavt, &trouble)
                .map(|k| k.0)
                .collect(),
            history: super::base::whole(base, &base.history, &none, &self.history, &trouble)
                .map(|k| k.0)
                .collect(),
            tx_times: self.tx_times.iter().copied().collect(),
        };
        trouble.check()?;
        Ok(parts)
    }

    /// The value's datoms in AEVT, AVET and VAET order, each as its position `pos` gives
    /// in the EAVT list `parts` returns: what a snapshot stores so that opening it sorts
    /// nothing.
    #[cfg(test)]
    pub(crate) fn orders(
        &self,
        pos: impl Fn(&Arc<Datom>) -> u32,
    ) -> Result<[Vec<u32>; 3], StorageError> {
        let (base, removed, trouble) = (&self.base, &self.removed, Trouble::default());
        let orders = [
            super::base::whole(base, &base.aevt, removed, &self.aevt, &trouble)
                .map(|k| pos(&k.0))
                .collect(),
            super::base::whole(base, &base.avet, removed, &self.avet, &trouble)
                .map(|k| pos(&k.0))
                .collect(),
            super::base::whole(base, &base.vaet, removed, &self.vaet, &trouble)
                .map(|k| pos(&k.0))
                .collect(),
        ];
        trouble.check()?;
        Ok(orders)
    }

    /// A value whose base is `current` (in EAVT order; `orders` the other orders as
    /// positions in it, or `None` to sort them here) and `history` (a snapshot).
    pub(crate) fn from_parts(
        basis_t: i64,
        next_n: i64,
        tx_times: Vec<(i64, i64)>,
        current: Vec<Arc<Datom>>,
        orders: Option<[Vec<u32>; 3]>,
        history: Vec<Arc<Datom>>,
    ) -> Result<Db, StorageError> {
        Db::from_base(
            Base::new(current, orders, history),
            basis_t,
            next_n,
            tx_times,
            None,
        )
    }

    /// A value whose datoms are all in `base`, as of `basis_t`; its schema is `schema`
    /// when known, else read from the base.
    pub(crate) fn from_base(
        base: Base,
        basis_t: i64,
        next_n: i64,
        tx_times: Vec<(i64, i64)>,
        schema: Option<Arc<Schema>>,
    ) -> Result<Db, StorageError> {
        let mut db = Db::empty();
        db.eavt = OrdSet::new();
        db.aevt = OrdSet::new();
        db.avet = OrdSet::new();
        db.vaet = OrdSet::new();
        db.history = OrdSet::new();
        db.log = Vector::new();
        db.base = Arc::new(base);
        db.base_t = basis_t;
        db.schema = match schema {
            Some(s) => s,
            None => Arc::new(db.read_schema()?),
        };
        db.basis_t = basis_t;
        db.next_n = next_n;
        db.tx_times = tx_times.into_iter().collect();
        Ok(db)
    }

    /// `indexed`, a value at an earlier basis whose datoms are all in its base, with this
    /// value's transactions after that basis applied again: the same datoms, on a newer
    /// base, with a shorter tail.
    pub(crate) fn rebased(&self, indexed: &Db) -> Result<Db, StorageError> {
        let mut db = indexed.clone();
        for a in self.log.iter().filter(|a| a.t > indexed.basis_t) {
            db.apply_shared(a.datoms.clone(), a.t, a.next_n, a.instant_ms)?;
        }
        Ok(db)
    }

    /// The basis `t` of the base: what the last index root covers.
    pub fn indexed_t(&self) -> i64 {
        self.base_t
    }

    /// How many datoms the tail holds: what indexing would move into the base.
    pub fn tail_datoms(&self) -> usize {
        self.log.iter().map(|a| a.datoms.len()).sum()
    }

    /// The instant of the latest transaction (0 before any): a new one's must not be
    /// earlier.
    pub fn last_instant(&self) -> i64 {
        self.tx_times.last().map_or(0, |(_, ms)| *ms)
    }

    /// The basis `t`.
    pub fn basis_t(&self) -> i64 {
        self.basis_t
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// This value's view.
    pub fn view(&self) -> View {
        self.view
    }

    /// This value as it was at `t`.
    pub fn as_of(&self, t: i64) -> Db {
        Db {
            view: View::AsOf(t),
            ..self.clone()
        }
    }

    /// This value showing only what changed after `t`.
    pub fn since(&self, t: i64) -> Db {
        Db {
            view: View::Since(t),
            ..self.clone()
        }
    }

    /// Every assertion and retraction.
    pub fn history(&self) -> Db {
        Db {
            view: View::History,
            ..self.clone()
        }
    }

    /// The `t` a point names: a `t`, a transaction id, or an `#inst` (the last
    /// transaction at or before it).
    pub fn point_t(&self, point: &ion_edn::Edn<'_>) -> Result<i64, PointError> {
        match point {
            ion_edn::Edn::Int(n) if *n >= tx_of(0) => Ok(t_of(*n)),
            ion_edn::Edn::Int(n) if *n >= 0 => Ok(*n),
            ion_edn::Edn::Tagged(tag, inner) if tag == "inst" => {
                let ms = match inner.as_ref() {
                    ion_edn::Edn::Str(s) => super::value::parse_instant(s),
                    _ => None,
                }
                .ok_or_else(|| PointError::NotAnInstant(ion_edn::print(point)))?;
                Ok(self
                    .tx_times
                    .iter()
                    .take_while(|(_, at)| *at <= ms)
                    .last()
                    .map_or(0, |(t, _)| *t))
            }
            other => Err(PointError::NotAPoint(ion_edn::print(other))),
        }
    }
}
