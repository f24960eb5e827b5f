//! The base of a database value: every datom as of one basis `t` in each index's order,
//! shared, read-only, by every value built on it. A value is its base plus an in-memory
//! tail (the persistent sets in `value_db`) and the base datoms the tail retracted;
//! reads merge the two.
//!
//! Each index of a base is a tree one level deep: a list of segments (bounded sorted
//! runs, `segment`), each known by its first datom, its length and where its datoms are:
//! in memory (a base opened from an old snapshot, or built by a test), or in storage
//! under its key, read on demand through the segment cache. So opening a database reads
//! the list only, and a scan reads the segments its range touches.
//!
//! A read that cannot fetch a segment ends early and leaves the error in the caller's
//! [`Trouble`], which the caller turns into its `Result`. Owns the trees, their lazy
//! iteration and their merge with a tail; knows nothing of transactions or of how
//! storage is reached beyond `SegmentSource`.

use super::datom::{AEVT, AVET, Datom, EAVT, Keyed, VAET, order};
use super::segment::{self, Datoms, Key, SegmentSource};
use super::storage::StorageError;
use imbl::OrdSet;
use std::cell::RefCell;
use std::iter::Peekable;
use std::sync::Arc;

/// Datoms per segment that indexing aims for.
pub const SEGMENT_DATOMS: usize = 4096;

/// Where a segment's datoms are.
#[derive(Clone)]
pub enum Place {
    /// In memory.
    Here(Datoms),
    /// In storage, under this key.
    Stored(Key),
}

/// One segment of a tree.
#[derive(Clone)]
pub struct Seg {
    /// Its first datom (in the tree's order).
    pub first: Arc<Datom>,
    /// How many datoms it holds.
    pub len: u32,
    /// Where they are.
    pub place: Place,
}

/// One index: segments in order, each one's datoms before the next one's.
#[derive(Clone, Default)]
pub struct Tree<const O: u8> {
    pub segs: Vec<Seg>,
    pub len: usize,
}

impl<const O: u8> Tree<O> {
    /// The segment a read from `from` starts in: the last one whose first datom is at or
    /// before it (the first segment when none is).
    pub fn seg_of(&self, from: &Datom) -> usize {
        self.segs
            .partition_point(|g| order::<O>(&g.first, from).is_le())
            .saturating_sub(1)
    }

    /// A tree holding `run` (in order `O`) in memory, cut into segments.
    pub fn resident(run: Vec<Arc<Datom>>) -> Tree<O> {
        let len = run.len();
        let segs = run
            .chunks(SEGMENT_DATOMS)
            .map(|chunk| Seg {
                first: chunk[0].clone(),
                len: chunk.len() as u32,
                place: Place::Here(Arc::new(chunk.to_vec())),
            })
            .collect();
        Tree { segs, len }
    }
}

/// Sorted runs of datoms, one per index, and the history in EAVT order.
#[derive(Default)]
pub struct Base {
    /// Where stored segments are read from (`None` when every segment is in memory).
    pub source: Option<Arc<dyn SegmentSource>>,
    pub eavt: Tree<EAVT>,
    pub aevt: Tree<AEVT>,
    pub avet: Tree<AVET>,
    pub vaet: Tree<VAET>,
    pub history: Tree<EAVT>,
}

/// The first error a lazy read met, if any: a read stops at it.
#[derive(Default)]
pub struct Trouble(RefCell<Option<StorageError>>);

impl Trouble {
    /// `Err` with the error a read met.
    pub fn check(&self) -> Result<(), StorageError> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn set(&self, e: StorageError) {
        self.0.borrow_mut().get_or_insert(e);
    }
}

impl Base {
    /// A base holding `current` (in EAVT order) with the other orders given as positions
    /// in it (`None`: sorted here), and `history` (in EAVT order), all in memory.
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
            Some((a, v, r)) => (sorted::<AEVT>(a), sorted::<AVET>(v), sorted::<VAET>(r)),
            None => {
                let refs: Vec<Arc<Datom>> = current
                    .iter()
                    .filter(|d| matches!(d.v, super::value::Value::Ref(_)))
                    .cloned()
                    .collect();
                (
                    sorted::<AEVT>(current.clone()),
                    sorted::<AVET>(current.clone()),
                    sorted::<VAET>(refs),
                )
            }
        };
        Base {
            source: None,
            eavt: Tree::resident(sorted::<EAVT>(current)),
            aevt: Tree::resident(aevt),
            avet: Tree::resident(avet),
            vaet: Tree::resident(vaet),
            history: Tree::resident(sorted::<EAVT>(history)),
        }
    }

    /// The datoms of `seg` (of order `O`), read through the cache when stored.
    pub fn datoms<const O: u8>(&self, seg: &Seg) -> Result<Datoms, StorageError> {
        match &seg.place {
            Place::Here(datoms) => Ok(datoms.clone()),
            Place::Stored(key) => match &self.source {
                Some(source) => segment::load(&**source, key, O),
                None => Err(StorageError::corrupt(
                    "memory",
                    format!("segment {key:?} is stored, but this value has no storage"),
                )),
            },
        }
    }
}

/// `datoms` in order `O` (a no-op pass when they are in order already).
fn sorted<const O: u8>(mut datoms: Vec<Arc<Datom>>) -> Vec<Arc<Datom>> {
    if !datoms.is_sorted_by(|a, b| order::<O>(a, b).is_le()) {
        datoms.sort_unstable_by(|a, b| order::<O>(a, b));
    }
    datoms
}

/// The datoms of `tree` from `from` on, read lazily.
pub fn run_from<'a, const O: u8>(
    base: &'a Base,
    tree: &'a Tree<O>,
    from: &Keyed<O>,
    trouble: &'a Trouble,
) -> TreeIter<'a, O> {
    let mut it = TreeIter {
        base,
        tree,
        next: tree.seg_of(&from.0),
        cur: None,
        at: 0,
        trouble,
    };
    if it.advance() {
        let cur = it.cur.as_ref().expect("advanced");
        it.at = start_in::<O>(cur, &from.0);
    }
    it
}

/// Where a read from `from` starts in a segment's `datoms` (of order `O`).
pub fn start_in<const O: u8>(datoms: &[Arc<Datom>], from: &Datom) -> usize {
    datoms.partition_point(|d| order::<O>(d, from).is_lt())
}

/// A lazy walk over a tree's datoms.
pub struct TreeIter<'a, const O: u8> {
    base: &'a Base,
    tree: &'a Tree<O>,
    next: usize,
    cur: Option<Datoms>,
    at: usize,
    trouble: &'a Trouble,
}

impl<const O: u8> TreeIter<'_, O> {
    /// Moves to the next segment; false at the end or on an error.
    fn advance(&mut self) -> bool {
        let Some(seg) = self.tree.segs.get(self.next) else {
            self.cur = None;
            return false;
        };
        self.next += 1;
        self.at = 0;
        match self.base.datoms::<O>(seg) {
            Ok(d) => {
                self.cur = Some(d);
                true
            }
            Err(e) => {
                self.trouble.set(e);
                self.cur = None;
                self.next = self.tree.segs.len();
                false
            }
        }
    }
}

impl<const O: u8> Iterator for TreeIter<'_, O> {
    type Item = Keyed<O>;

    fn next(&mut self) -> Option<Keyed<O>> {
        loop {
            let cur = self.cur.as_ref()?;
            if let Some(d) = cur.get(self.at) {
                self.at += 1;
                return Some(Keyed(d.clone()));
            }
            if !self.advance() {
                return None;
            }
        }
    }
}

/// The datoms of a base tree (less the ones `removed`) and of a tail set from `from` on,
/// merged in order `O`.
pub fn merged<'a, const O: u8>(
    base: &'a Base,
    tree: &'a Tree<O>,
    removed: &'a OrdSet<Keyed<EAVT>>,
    tail: &'a OrdSet<Keyed<O>>,
    from: Keyed<O>,
    trouble: &'a Trouble,
) -> impl Iterator<Item = Keyed<O>> + 'a {
    Merged {
        base: run_from(base, tree, &from, trouble).peekable(),
        tail: tail.range(from..).peekable(),
        removed,
    }
}

/// Every datom of a base tree (less the ones `removed`) and of a tail set, merged in
/// order `O`.
pub fn whole<'a, const O: u8>(
    base: &'a Base,
    tree: &'a Tree<O>,
    removed: &'a OrdSet<Keyed<EAVT>>,
    tail: &'a OrdSet<Keyed<O>>,
    trouble: &'a Trouble,
) -> impl Iterator<Item = Keyed<O>> + 'a {
    merged(
        base,
        tree,
        removed,
        tail,
        super::datom::lower_bound(None, None, None),
        trouble,
    )
}

/// The iterator `merged` returns.
struct Merged<'a, const O: u8, T: Iterator<Item = &'a Keyed<O>>> {
    base: Peekable<TreeIter<'a, O>>,
    tail: Peekable<T>,
    removed: &'a OrdSet<Keyed<EAVT>>,
}

impl<'a, const O: u8, T: Iterator<Item = &'a Keyed<O>>> Iterator for Merged<'a, O, T> {
    type Item = Keyed<O>;

    fn next(&mut self) -> Option<Keyed<O>> {
        loop {
            let from_base = match (self.base.peek(), self.tail.peek()) {
                (Some(b), Some(t)) => b <= *t,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if !from_base {
                return self.tail.next().cloned();
            }
            let k = self.base.next()?;
            if self.removed.is_empty() || !self.removed.contains(&Keyed(k.0.clone())) {
                return Some(k);
            }
        }
    }
}
