//! Reading a database value: index scans as its view shows them (current, as-of, since,
//! history), lookups by unique value, the values of one entity's attribute, value ranges
//! and the planner's counts. Each merges the base's segments (read lazily) with the
//! tail, and fails only when a segment cannot be read. Part of `value_db`'s `Db`.

use super::base::{Base, Trouble, merged, start_in};
use super::datom::{Datom, EAVT, Keyed, lower_bound};
use super::reads::{Components, Index, View};
use super::schema::t_of;
use super::storage::StorageError;
use super::value::Value;
use super::value_db::Db;
use imbl::OrdSet;
use std::sync::Arc;

impl Db {
    /// Datoms of `index` whose leading components are `c`, in index order, as this
    /// value's view shows them. A current scan stops where the index leaves the known
    /// leading components (an attribute and value of AVET, not the whole attribute).
    pub fn datoms(&self, index: Index, c: &Components) -> Result<Vec<Arc<Datom>>, StorageError> {
        let mut out = Vec::new();
        self.datoms_into(index, c, &mut out)?;
        Ok(out)
    }

    /// `datoms`, appended to `out` (a query's reads per row reuse one vector).
    pub fn datoms_into(
        &self,
        index: Index,
        c: &Components,
        out: &mut Vec<Arc<Datom>>,
    ) -> Result<(), StorageError> {
        if self.view == View::Current {
            return self.scan(index, c, out);
        }
        out.extend(self.sorted(index, c)?);
        Ok(())
    }

    /// The datoms of a filtered view (as-of, since, history) matching `c`, in `index`'s
    /// order.
    fn sorted(&self, index: Index, c: &Components) -> Result<Vec<Arc<Datom>>, StorageError> {
        let mut out: Vec<Arc<Datom>> = self.filtered(c)?;
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
        Ok(out)
    }

    fn scan(
        &self,
        index: Index,
        c: &Components,
        out: &mut Vec<Arc<Datom>>,
    ) -> Result<(), StorageError> {
        fn take<const O: u8>(
            base: &Base,
            tree: &super::base::Tree<O>,
            removed: &OrdSet<Keyed<EAVT>>,
            set: &OrdSet<Keyed<O>>,
            from: Keyed<O>,
            lead: impl Fn(&Datom) -> bool,
            (c, out): (&Components, &mut Vec<Arc<Datom>>),
        ) -> Result<(), StorageError> {
            let trouble = Trouble::default();
            out.extend(
                merged(base, tree, removed, set, from, &trouble)
                    .take_while(|k| lead(&k.0))
                    .filter(|k| c.matches(&k.0))
                    .map(|k| k.0),
            );
            trouble.check()
        }
        let (base, removed) = (&self.base, &self.removed);
        match index {
            Index::Eavt => take(
                base,
                &base.eavt,
                removed,
                &self.eavt,
                lower_bound(c.e, c.e.and(c.a), c.e.and(c.a).and(c.v.as_ref())),
                |d| c.e.is_none_or(|e| e == d.e && c.a.is_none_or(|a| a == d.a)),
                (c, out),
            ),
            Index::Aevt => take(
                base,
                &base.aevt,
                removed,
                &self.aevt,
                lower_bound(c.a.and(c.e), c.a, c.a.and(c.e).and(c.v.as_ref())),
                |d| c.a.is_none_or(|a| a == d.a && c.e.is_none_or(|e| e == d.e)),
                (c, out),
            ),
            Index::Avet => take(
                base,
                &base.avet,
                removed,
                &self.avet,
                lower_bound(None, c.a, c.a.and(c.v.as_ref())),
                |d| {
                    c.a.is_none_or(|a| a == d.a && c.v.as_ref().is_none_or(|v| *v == d.v))
                },
                (c, out),
            ),
            Index::Vaet => take(
                base,
                &base.vaet,
                removed,
                &self.vaet,
                lower_bound(None, c.v.as_ref().and(c.a), c.v.as_ref()),
                |d| {
                    c.v.as_ref()
                        .is_none_or(|v| *v == d.v && c.a.is_none_or(|a| a == d.a))
                },
                (c, out),
            ),
        }
    }

    /// The datoms this (filtered) view shows, matching `c`, in no particular order.
    fn filtered(&self, c: &Components) -> Result<Vec<Arc<Datom>>, StorageError> {
        // The history is only ever added to: nothing of the base's is removed.
        let (none, trouble) = (OrdSet::new(), Trouble::default());
        let all = merged(
            &self.base,
            &self.base.history,
            &none,
            &self.history,
            lower_bound(c.e, None, None),
            &trouble,
        );
        let history: Box<dyn Iterator<Item = Keyed<EAVT>>> = match c.e {
            Some(e) => Box::new(all.take_while(move |k| k.0.e == e)),
            None => Box::new(all),
        };
        let out = match self.view {
            View::History => history.filter(|k| c.matches(&k.0)).map(|k| k.0).collect(),
            View::Since(t) => {
                let mut now = Vec::new();
                let e = Components {
                    e: c.e,
                    ..Default::default()
                };
                self.scan(Index::Eavt, &e, &mut now)?;
                now.retain(|d| t_of(d.tx) > t && c.matches(d));
                now
            }
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
            View::Current => {
                let mut out = Vec::new();
                self.scan(Index::Eavt, c, &mut out)?;
                out
            }
        };
        trouble.check()?;
        Ok(out)
    }

    /// The entity with unique attribute `a` equal to `v`, now.
    pub fn entity_with(&self, a: i64, v: &Value) -> Result<Option<i64>, StorageError> {
        let trouble = Trouble::default();
        let found = merged(
            &self.base,
            &self.base.avet,
            &self.removed,
            &self.avet,
            lower_bound(None, Some(a), Some(v)),
            &trouble,
        )
        .next()
        .filter(|k| k.0.a == a && k.0.v == *v)
        .map(|k| k.0.e);
        trouble.check()?;
        Ok(found)
    }

    /// The current values of `e`'s attribute `a`.
    pub fn values(&self, e: i64, a: i64) -> Result<Vec<Value>, StorageError> {
        Ok(self
            .datoms(
                Index::Eavt,
                &Components {
                    e: Some(e),
                    a: Some(a),
                    ..Default::default()
                },
            )?
            .into_iter()
            .map(|d| d.v.clone())
            .collect())
    }

    /// The current datoms of attribute `a` whose value is at least `lo` and below `hi`
    /// (or at most, when its flag says so), in AVET order.
    pub fn avet_range(
        &self,
        a: i64,
        lo: Option<&Value>,
        hi: Option<(&Value, bool)>,
    ) -> Result<Vec<Arc<Datom>>, StorageError> {
        let trouble = Trouble::default();
        let out = merged(
            &self.base,
            &self.base.avet,
            &self.removed,
            &self.avet,
            lower_bound(None, Some(a), lo),
            &trouble,
        )
        .take_while(|k| {
            k.0.a == a
                && hi.is_none_or(
                    |(hi, inclusive)| {
                        if inclusive { k.0.v <= *hi } else { k.0.v < *hi }
                    },
                )
        })
        .map(|k| k.0)
        .collect();
        trouble.check()?;
        Ok(out)
    }

    /// How many current datoms have attribute `a` (and value `v`, when given), counted up
    /// to `cap`: the query planner's estimate of a pattern's size.
    pub fn count_attr(&self, a: i64, v: Option<&Value>, cap: usize) -> Result<usize, StorageError> {
        let (base, removed) = (&self.base, &self.removed);
        match v {
            Some(v) => count_prefix(
                (base, &base.avet, removed, &self.avet),
                lower_bound(None, Some(a), Some(v)),
                |d| d.a == a && d.v == *v,
                cap,
            ),
            None => count_prefix(
                (base, &base.aevt, removed, &self.aevt),
                lower_bound(None, Some(a), None),
                |d| d.a == a,
                cap,
            ),
        }
    }

    /// Folds `f` over every current datom of `index` in order, reading segments one at a
    /// time: a walk over a database larger than memory holds one segment at once.
    pub fn fold<T>(
        &self,
        index: Index,
        init: T,
        mut f: impl FnMut(T, &Datom) -> T,
    ) -> Result<T, StorageError> {
        fn go<const O: u8, T>(
            base: &Base,
            tree: &super::base::Tree<O>,
            removed: &OrdSet<Keyed<EAVT>>,
            tail: &OrdSet<Keyed<O>>,
            init: T,
            f: &mut impl FnMut(T, &Datom) -> T,
        ) -> Result<T, StorageError> {
            let trouble = Trouble::default();
            let out = super::base::whole(base, tree, removed, tail, &trouble)
                .fold(init, |acc, k| f(acc, &k.0));
            trouble.check()?;
            Ok(out)
        }
        let (base, removed) = (&self.base, &self.removed);
        match index {
            Index::Eavt => go(base, &base.eavt, removed, &self.eavt, init, &mut f),
            Index::Aevt => go(base, &base.aevt, removed, &self.aevt, init, &mut f),
            Index::Avet => go(base, &base.avet, removed, &self.avet, init, &mut f),
            Index::Vaet => go(base, &base.vaet, removed, &self.vaet, init, &mut f),
        }
    }

    /// How many datoms the current value holds.
    pub fn count(&self) -> usize {
        self.base.eavt.len - self.removed.len() + self.eavt.len()
    }
}

/// How many datoms from `from` on satisfy `lead` (true over a prefix of the index's
/// order, then false) in a base tree, less the datoms `removed`, and a tail set, counted
/// up to `cap`. With nothing removed the two are counted apart, the tail by reference and
/// the base's segments by binary search, not datom by datom through the merge (a query's
/// plan counts several patterns before it runs).
fn count_prefix<const O: u8>(
    (base, tree, removed, tail): (
        &Base,
        &super::base::Tree<O>,
        &OrdSet<Keyed<EAVT>>,
        &OrdSet<Keyed<O>>,
    ),
    from: Keyed<O>,
    lead: impl Fn(&Datom) -> bool,
    cap: usize,
) -> Result<usize, StorageError> {
    if !removed.is_empty() {
        let trouble = Trouble::default();
        let n = merged(base, tree, removed, tail, from, &trouble)
            .take_while(|k| lead(&k.0))
            .take(cap)
            .count();
        trouble.check()?;
        return Ok(n);
    }
    let mut n = tail
        .range(from.clone()..)
        .take_while(|k| lead(&k.0))
        .take(cap)
        .count();
    let mut s = tree.seg_of(&from.0);
    while n < cap && s < tree.segs.len() {
        let datoms = base.datoms::<O>(&tree.segs[s])?;
        let start = start_in::<O>(&datoms, &from.0);
        let end = start + datoms[start..].partition_point(|d| lead(d));
        n += end - start;
        if end < datoms.len() {
            break;
        }
        s += 1;
    }
    Ok(n.min(cap))
}
