//! The base of a database value: every datom as of one basis `t` in each index's order,
//! as sorted runs, read once from a snapshot and shared, read-only, by every value built
//! on it. A value is its base plus an in-memory tail (the persistent sets in `value_db`)
//! and the base datoms the tail retracted; reads merge the two.
//!
//! Opening a database from a snapshot fills the runs straight from the snapshot's
//! orders, with no index to rebuild: that is what makes a restart cheap. The runs are the
//! first step towards indexes kept on storage (issue 19): a run of segments read through
//! a cache would take their place. Owns the runs and their merge with a tail; knows
//! nothing of transactions or storage.

use super::datom::{AEVT, AVET, Datom, EAVT, Keyed, VAET};
use imbl::OrdSet;
use std::iter::Peekable;
use std::sync::Arc;

/// Sorted runs of datoms, one per index, and the history in EAVT order.
#[derive(Default)]
pub struct Base {
    pub eavt: Vec<Keyed<EAVT>>,
    pub aevt: Vec<Keyed<AEVT>>,
    pub avet: Vec<Keyed<AVET>>,
    pub vaet: Vec<Keyed<VAET>>,
    pub history: Vec<Keyed<EAVT>>,
}

impl Base {
    /// A base holding `current` (in EAVT order) with the other orders given as positions
    /// in it (`None`: sorted here), and `history` (in EAVT order).
    pub fn new(
        current: Vec<Arc<Datom>>,
        orders: Option<[Vec<u32>; 3]>,
        history: Vec<Arc<Datom>>,
    ) -> Base {
        let pick = |positions: &[u32]| -> Option<Vec<Arc<Datom>>> {
            positions
                .iter()
                .map(|&i| current.get(i as usize).cloned())
                .collect()
        };
        let given = orders.and_then(|[a, v, r]| Some((pick(&a)?, pick(&v)?, pick(&r)?)));
        let (aevt, avet, vaet) = match given {
            // Checked, not trusted: a run out of order would answer wrongly.
            Some((a, v, r)) => (sorted(a), sorted(v), sorted(r)),
            None => {
                let refs: Vec<Arc<Datom>> = current
                    .iter()
                    .filter(|d| matches!(d.v, super::value::Value::Ref(_)))
                    .cloned()
                    .collect();
                (
                    sorted(current.clone()),
                    sorted(current.clone()),
                    sorted(refs),
                )
            }
        };
        Base {
            eavt: sorted(current),
            aevt,
            avet,
            vaet,
            history: sorted(history),
        }
    }
}

fn keyed<const O: u8>(datoms: Vec<Arc<Datom>>) -> Vec<Keyed<O>> {
    datoms.into_iter().map(Keyed).collect()
}

/// `datoms` in order `O` (a no-op pass when they are in order already).
fn sorted<const O: u8>(datoms: Vec<Arc<Datom>>) -> Vec<Keyed<O>> {
    let mut run = keyed(datoms);
    if !run.is_sorted() {
        run.sort_unstable();
    }
    run
}

/// The datoms of `run` from `from` on.
pub fn run_from<'a, const O: u8>(
    run: &'a [Keyed<O>],
    from: &Keyed<O>,
) -> std::slice::Iter<'a, Keyed<O>> {
    run[run.partition_point(|k| k < from)..].iter()
}

/// The datoms of a base run (less the ones `removed`) and of a tail set from `from` on,
/// merged in order `O`.
pub fn merged<'a, const O: u8>(
    run: &'a [Keyed<O>],
    removed: &'a OrdSet<Keyed<EAVT>>,
    tail: &'a OrdSet<Keyed<O>>,
    from: Keyed<O>,
) -> impl Iterator<Item = &'a Keyed<O>> + 'a {
    Merged {
        base: run_from(run, &from).peekable(),
        tail: tail.range(from..).peekable(),
        removed,
    }
}

/// Every datom of a base run (less the ones `removed`) and of a tail set, merged in order
/// `O`.
pub fn whole<'a, const O: u8>(
    run: &'a [Keyed<O>],
    removed: &'a OrdSet<Keyed<EAVT>>,
    tail: &'a OrdSet<Keyed<O>>,
) -> impl Iterator<Item = &'a Keyed<O>> + 'a {
    merged(
        run,
        removed,
        tail,
        super::datom::lower_bound(None, None, None),
    )
}

/// The iterator `merged` returns.
struct Merged<'a, const O: u8, T: Iterator<Item = &'a Keyed<O>>> {
    base: Peekable<std::slice::Iter<'a, Keyed<O>>>,
    tail: Peekable<T>,
    removed: &'a OrdSet<Keyed<EAVT>>,
}

impl<'a, const O: u8, T: Iterator<Item = &'a Keyed<O>>> Iterator for Merged<'a, O, T> {
    type Item = &'a Keyed<O>;

    fn next(&mut self) -> Option<&'a Keyed<O>> {
        loop {
            let from_base = match (self.base.peek(), self.tail.peek()) {
                (Some(b), Some(t)) => b <= t,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if !from_base {
                return self.tail.next();
            }
            let k = self.base.next()?;
            if self.removed.is_empty() || !self.removed.contains(&Keyed(k.0.clone())) {
                return Some(k);
            }
        }
    }
}
