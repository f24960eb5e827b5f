//! A database value: every datom as of one basis `t`, plus the full history (every
//! assertion and retraction) for `as-of`, `since` and `history` views. The datoms are a
//! base (sorted runs read from a snapshot, shared by every value built on it: `base`)
//! and a tail of persistent sorted sets that share structure with the values before
//! them; reads merge the two. Immutable: a transaction makes a new value and leaves this
//! one as it was.

use super::base::{Base, merged, whole};
use super::datom::{AEVT, AVET, Datom, EAVT, Keyed, VAET, lower_bound};
pub use super::reads::{Components, Index, PointError, View};
use super::schema::{self, Schema, t_of, tx_of};
use super::value::{Value, ValueType};
use imbl::{OrdSet, Vector};
use std::sync::Arc;

/// What a snapshot holds of a value.
pub(crate) struct Parts {
    /// The current datoms, in EAVT order.
    pub current: Vec<Arc<Datom>>,
    /// Every assertion and retraction, in EAVT order.
    pub history: Vec<Arc<Datom>>,
    /// `(t, txInstant ms)` of every transaction.
    pub tx_times: Vec<(i64, i64)>,
}

/// An immutable database value.
#[derive(Clone)]
pub struct Db {
    pub(crate) basis_t: i64,
    pub(crate) next_n: i64,
    /// The datoms as of the snapshot the value was opened from.
    base: Arc<Base>,
    /// Datoms of the base that the tail retracted.
    removed: OrdSet<Keyed<EAVT>>,
    // The tail: datoms asserted (and history made) since the base.
    eavt: OrdSet<Keyed<EAVT>>,
    aevt: OrdSet<Keyed<AEVT>>,
    avet: OrdSet<Keyed<AVET>>,
    vaet: OrdSet<Keyed<VAET>>,
    history: OrdSet<Keyed<EAVT>>,
    /// `(t, txInstant ms)` of every transaction, in order.
    tx_times: Vector<(i64, i64)>,
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
            removed: OrdSet::new(),
            eavt: OrdSet::new(),
            aevt: OrdSet::new(),
            avet: OrdSet::new(),
            vaet: OrdSet::new(),
            history: OrdSet::new(),
            tx_times: Vector::new(),
            schema: Arc::new(Schema::default()),
            view: View::Current,
        };
        db.with_datoms(&schema::bootstrap(), 0, schema::FIRST_USER_N, 0)
    }

    /// The value after applying `datoms` of transaction `t` (already checked).
    pub fn with_datoms(&self, datoms: &[Datom], t: i64, next_n: i64, instant_ms: i64) -> Db {
        let mut db = self.clone();
        db.apply(datoms, t, next_n, instant_ms);
        db
    }

    /// Applies `datoms` of transaction `t` to this value in place. When nothing else
    /// shares the indexes (replaying a log), no index node is copied.
    pub fn apply(&mut self, datoms: &[Datom], t: i64, next_n: i64, instant_ms: i64) {
        let db = self;
        db.view = View::Current;
        let mut schema_changed = false;
        for d in datoms {
            let d = Arc::new(d.clone());
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
            } else if let Some(old) = db.current_datom(d.e, d.a, &d.v) {
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
            db.schema = Arc::new(db.read_schema());
        }
        db.basis_t = t;
        db.next_n = next_n;
        db.tx_times.push_back((t, instant_ms));
    }

    /// The current datom `[e a v]`, whatever the view.
    fn current_datom(&self, e: i64, a: i64, v: &Value) -> Option<Arc<Datom>> {
        self.merged_eavt(lower_bound(Some(e), Some(a), Some(v)))
            .next()
            .filter(|k| k.0.e == e && k.0.a == a && k.0.v == *v)
            .map(|k| k.0.clone())
    }

    /// The schema, read from the schema attributes' datoms only (through AEVT), so the
    /// cost follows the schema's size, not the database's.
    fn read_schema(&self) -> Schema {
        let datoms: Vec<Arc<Datom>> = Schema::SCHEMA_ATTRS
            .iter()
            .flat_map(|a| {
                merged(
                    &self.base.aevt,
                    &self.removed,
                    &self.aevt,
                    lower_bound(None, Some(*a), None),
                )
                .take_while(move |k| k.0.a == *a)
                .map(|k| k.0.clone())
            })
            .collect();
        Schema::read(datoms.iter().map(|d| d.as_ref()))
    }

    /// The current datoms, the history and the transaction times (for snapshots).
    pub(crate) fn parts(&self) -> Parts {
        // The history is only ever added to: nothing of the base's is removed.
        let none = OrdSet::new();
        Parts {
            current: whole(&self.base.eavt, &self.removed, &self.eavt)
                .map(|k| k.0.clone())
                .collect(),
            history: whole(&self.base.history, &none, &self.history)
                .map(|k| k.0.clone())
                .collect(),
            tx_times: self.tx_times.iter().copied().collect(),
        }
    }

    /// The value's datoms in AEVT, AVET and VAET order, each as its position `pos` gives
    /// in the EAVT list `parts` returns: what a snapshot stores so that opening it sorts
    /// nothing.
    pub(crate) fn orders(&self, pos: impl Fn(&Arc<Datom>) -> u32) -> [Vec<u32>; 3] {
        let (base, removed) = (&self.base, &self.removed);
        [
            whole(&base.aevt, removed, &self.aevt)
                .map(|k| pos(&k.0))
                .collect(),
            whole(&base.avet, removed, &self.avet)
                .map(|k| pos(&k.0))
                .collect(),
            whole(&base.vaet, removed, &self.vaet)
                .map(|k| pos(&k.0))
                .collect(),
        ]
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
    ) -> Db {
        let mut db = Db::empty();
        db.eavt = OrdSet::new();
        db.aevt = OrdSet::new();
        db.avet = OrdSet::new();
        db.vaet = OrdSet::new();
        db.history = OrdSet::new();
        db.base = Arc::new(Base::new(current, orders, history));
        db.schema = Arc::new(db.read_schema());
        db.basis_t = basis_t;
        db.next_n = next_n;
        db.tx_times = tx_times.into_iter().collect();
        db
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

    /// Datoms of `index` whose leading components are `c`, in index order, as this
    /// value's view shows them.
    pub fn datoms(&self, index: Index, c: &Components) -> Vec<Arc<Datom>> {
        if self.view == View::Current {
            return self.scan(index, c);
        }
        let mut out: Vec<Arc<Datom>> = self.filtered(c);
        let key = |d: &Arc<Datom>| -> (i64, i64, Value, i64) {
            match index {
                Index::Eavt => (d.e, d.a, d.v.clone(), d.tx),
                Index::Aevt => (d.a, d.e, Value::Long(0), d.tx),
                Index::Avet => (d.a, 0, d.v.clone(), d.e),
                Index::Vaet => (0, d.a, d.v.clone(), d.e),
            }
        };
        out.sort_by(|x, y| {
            key(x)
                .cmp(&key(y))
                .then_with(|| x.v.cmp(&y.v))
                .then(x.tx.cmp(&y.tx))
        });
        if index == Index::Vaet {
            out.retain(|d| matches!(d.v, Value::Ref(_)));
        }
        out
    }

    fn scan(&self, index: Index, c: &Components) -> Vec<Arc<Datom>> {
        fn take<const O: u8>(
            run: &[Keyed<O>],
            removed: &OrdSet<Keyed<EAVT>>,
            set: &OrdSet<Keyed<O>>,
            from: Keyed<O>,
            lead: impl Fn(&Datom) -> bool,
            c: &Components,
        ) -> Vec<Arc<Datom>> {
            merged(run, removed, set, from)
                .take_while(|k| lead(&k.0))
                .filter(|k| c.matches(&k.0))
                .map(|k| k.0.clone())
                .collect()
        }
        let (base, removed) = (&self.base, &self.removed);
        match index {
            Index::Eavt => take(
                &base.eavt,
                removed,
                &self.eavt,
                lower_bound(c.e, c.e.and(c.a), c.e.and(c.a).and(c.v.as_ref())),
                |d| c.e.is_none_or(|e| e == d.e),
                c,
            ),
            Index::Aevt => take(
                &base.aevt,
                removed,
                &self.aevt,
                lower_bound(c.a.and(c.e), c.a, c.a.and(c.e).and(c.v.as_ref())),
                |d| c.a.is_none_or(|a| a == d.a),
                c,
            ),
            Index::Avet => take(
                &base.avet,
                removed,
                &self.avet,
                lower_bound(None, c.a, c.a.and(c.v.as_ref())),
                |d| c.a.is_none_or(|a| a == d.a),
                c,
            ),
            Index::Vaet => take(
                &base.vaet,
                removed,
                &self.vaet,
                lower_bound(None, c.v.as_ref().and(c.a), c.v.as_ref()),
                |d| c.v.as_ref().is_none_or(|v| *v == d.v),
                c,
            ),
        }
    }

    /// The current datoms in EAVT order from `from` on, base and tail merged.
    fn merged_eavt<'a>(&'a self, from: Keyed<EAVT>) -> impl Iterator<Item = &'a Keyed<EAVT>> + 'a {
        merged(&self.base.eavt, &self.removed, &self.eavt, from)
    }

    /// The datoms this (filtered) view shows, matching `c`, in no particular order.
    fn filtered(&self, c: &Components) -> Vec<Arc<Datom>> {
        // The history is only ever added to: nothing of the base's is removed.
        let none = OrdSet::new();
        let all = merged(
            &self.base.history,
            &none,
            &self.history,
            lower_bound(c.e, None, None),
        );
        let history: Box<dyn Iterator<Item = &Keyed<EAVT>>> = match c.e {
            Some(e) => Box::new(all.take_while(move |k| k.0.e == e)),
            None => Box::new(all),
        };
        match self.view {
            View::History => history
                .filter(|k| c.matches(&k.0))
                .map(|k| k.0.clone())
                .collect(),
            View::Since(t) => self
                .scan(
                    Index::Eavt,
                    &Components {
                        e: c.e,
                        ..Default::default()
                    },
                )
                .into_iter()
                .filter(|d| t_of(d.tx) > t && c.matches(d))
                .collect(),
            View::AsOf(t) => {
                let mut out: Vec<Arc<Datom>> = Vec::new();
                let mut last: Option<Arc<Datom>> = None;
                for k in history.filter(|k| t_of(k.0.tx) <= t) {
                    let d = &k.0;
                    if let Some(prev) = &last
                        && (prev.e, prev.a, &prev.v) != (d.e, d.a, &d.v)
                        && prev.added
                    {
                        out.push(prev.clone());
                    }
                    last = Some(d.clone());
                }
                if let Some(prev) = last
                    && prev.added
                {
                    out.push(prev);
                }
                out.retain(|d| c.matches(d));
                out
            }
            View::Current => self.scan(Index::Eavt, c),
        }
    }

    /// The entity with unique attribute `a` equal to `v`, now.
    pub fn entity_with(&self, a: i64, v: &Value) -> Option<i64> {
        merged(
            &self.base.avet,
            &self.removed,
            &self.avet,
            lower_bound(None, Some(a), Some(v)),
        )
        .next()
        .filter(|k| k.0.a == a && k.0.v == *v)
        .map(|k| k.0.e)
    }

    /// The current values of `e`'s attribute `a`.
    pub fn values(&self, e: i64, a: i64) -> Vec<Value> {
        self.datoms(
            Index::Eavt,
            &Components {
                e: Some(e),
                a: Some(a),
                ..Default::default()
            },
        )
        .into_iter()
        .map(|d| d.v.clone())
        .collect()
    }

    /// How many current datoms have attribute `a` (and value `v`, when given), counted up
    /// to `cap`: the query planner's estimate of a pattern's size.
    pub fn count_attr(&self, a: i64, v: Option<&Value>, cap: usize) -> usize {
        let (base, removed) = (&self.base, &self.removed);
        match v {
            Some(v) => merged(
                &base.avet,
                removed,
                &self.avet,
                lower_bound(None, Some(a), Some(v)),
            )
            .take_while(|k| k.0.a == a && k.0.v == *v)
            .take(cap)
            .count(),
            None => merged(
                &base.aevt,
                removed,
                &self.aevt,
                lower_bound(None, Some(a), None),
            )
            .take_while(|k| k.0.a == a)
            .take(cap)
            .count(),
        }
    }

    /// How many datoms the current value holds.
    pub fn count(&self) -> usize {
        self.base.eavt.len() - self.removed.len() + self.eavt.len()
    }
}
