//! Indexing: folding a value's tail into its base, as new segments. Each tree of the
//! base is walked once; a segment whose key range the tail did not touch is kept as it is
//! (the new root shares it with the old), and the ranges the tail touched are merged with
//! it and cut again into segments of about `SEGMENT_DATOMS`. A remainder too small to
//! stand alone takes in its neighbour, so segments stay at least half full, except the
//! last of a tree.
//!
//! Runs on a blocking thread: new segments go to `put` as they are made (the caller
//! writes them to storage), and the result is a value at the same basis whose tail is
//! empty. Owns the merge only; knows nothing of storage or of roots' bytes.

use super::base::{Base, Place, SEGMENT_DATOMS, Seg, Tree};
use super::datom::{Datom, EAVT, Keyed, order};
use super::segment::{self, Key, SegmentSource};
use super::storage::StorageError;
use super::value_db::Db;
use imbl::OrdSet;
use std::sync::Arc;

/// Where new segments go: their key and bytes.
pub type Put<'a> = dyn FnMut(Key, Vec<u8>) -> Result<(), StorageError> + 'a;

/// `db` with its tail folded into a base of stored segments read from `source`, at the
/// same basis. New segments are handed to `put` (`size` datoms each, about).
pub fn index(
    db: &Db,
    source: Arc<dyn SegmentSource>,
    size: usize,
    put: &mut Put<'_>,
) -> Result<Db, StorageError> {
    let base = &db.base;
    let none = OrdSet::new();
    let mut job = Job { base, size, put };
    let new = Base {
        eavt: job.tree(&base.eavt, &db.removed, &db.eavt)?,
        aevt: job.tree(&base.aevt, &db.removed, &db.aevt)?,
        avet: job.tree(&base.avet, &db.removed, &db.avet)?,
        vaet: job.tree(&base.vaet, &db.removed, &db.vaet)?,
        history: job.tree(&base.history, &none, &db.history)?,
        source: Some(source),
    };
    Db::from_base(
        new,
        db.basis_t,
        db.next_n,
        db.tx_times.iter().copied().collect(),
        // The same datoms: the same schema (and its segments may not be written yet).
        Some(db.schema.clone()),
    )
}

/// The default segment size.
pub const DEFAULT_SIZE: usize = SEGMENT_DATOMS;

struct Job<'a, 'p> {
    base: &'a Base,
    size: usize,
    put: &'a mut Put<'p>,
}

impl Job<'_, '_> {
    /// `tree` less `removed` plus `added`, as a tree of stored segments.
    fn tree<const O: u8>(
        &mut self,
        tree: &Tree<O>,
        removed: &OrdSet<Keyed<EAVT>>,
        added: &OrdSet<Keyed<O>>,
    ) -> Result<Tree<O>, StorageError> {
        let mut removed: Vec<Arc<Datom>> = removed.iter().map(|k| k.0.clone()).collect();
        removed.sort_unstable_by(|a, b| order::<O>(a, b));
        let mut added = added.iter().map(|k| k.0.clone()).peekable();
        let mut rem = 0;
        let mut out: Vec<Seg> = Vec::new();
        let mut pending: Vec<Arc<Datom>> = Vec::new();
        for (i, seg) in tree.segs.iter().enumerate() {
            // The segment's range ends where the next begins; the first also takes what
            // sorts before it, the last what sorts after it.
            let hi = tree.segs.get(i + 1).map(|g| g.first.clone());
            let below = |d: &Datom| hi.as_ref().is_none_or(|h| order::<O>(d, h).is_lt());
            let mut adds = Vec::new();
            while let Some(d) = added.next_if(|d| below(d)) {
                adds.push(d);
            }
            let rem_end = rem + removed[rem..].iter().take_while(|d| below(d)).count();
            let rems = &removed[rem..rem_end];
            rem = rem_end;
            let untouched =
                adds.is_empty() && rems.is_empty() && matches!(seg.place, Place::Stored(_));
            if untouched && (pending.is_empty() || pending.len() >= self.size / 2) {
                self.emit_all::<O>(&mut pending, &mut out)?;
                out.push(seg.clone());
                continue;
            }
            let datoms = self.base.datoms::<O>(seg)?;
            merge_into::<O>(&mut pending, &datoms, rems, adds);
            while pending.len() >= 2 * self.size {
                let rest = pending.split_off(self.size);
                let chunk = std::mem::replace(&mut pending, rest);
                self.emit::<O>(chunk, &mut out)?;
            }
        }
        // With no segment at all, everything added is new.
        pending.extend(added);
        while pending.len() >= 2 * self.size {
            let rest = pending.split_off(self.size);
            let chunk = std::mem::replace(&mut pending, rest);
            self.emit::<O>(chunk, &mut out)?;
        }
        self.emit_all::<O>(&mut pending, &mut out)?;
        let len = out.iter().map(|s| s.len as usize).sum();
        Ok(Tree { segs: out, len })
    }

    /// Emits `pending` (less than two segments' worth) as one or two segments.
    fn emit_all<const O: u8>(
        &mut self,
        pending: &mut Vec<Arc<Datom>>,
        out: &mut Vec<Seg>,
    ) -> Result<(), StorageError> {
        if pending.len() > self.size {
            let rest = pending.split_off(pending.len() / 2);
            let first = std::mem::replace(pending, rest);
            self.emit::<O>(first, out)?;
        }
        if !pending.is_empty() {
            self.emit::<O>(std::mem::take(pending), out)?;
        }
        Ok(())
    }

    fn emit<const O: u8>(
        &mut self,
        chunk: Vec<Arc<Datom>>,
        out: &mut Vec<Seg>,
    ) -> Result<(), StorageError> {
        let (key, bytes) = segment::encode(O, &chunk);
        (self.put)(key, bytes)?;
        out.push(Seg {
            first: chunk[0].clone(),
            len: chunk.len() as u32,
            place: Place::Stored(key),
        });
        Ok(())
    }
}

/// Appends to `pending` the datoms of `seg` less `rems`, merged with `adds` (all in
/// order `O`, and all after what `pending` holds).
fn merge_into<const O: u8>(
    pending: &mut Vec<Arc<Datom>>,
    seg: &[Arc<Datom>],
    rems: &[Arc<Datom>],
    adds: Vec<Arc<Datom>>,
) {
    let mut kept = seg
        .iter()
        .filter(|d| rems.binary_search_by(|r| order::<O>(r, d)).is_err())
        .peekable();
    let mut adds = adds.into_iter().peekable();
    loop {
        let take_seg = match (kept.peek(), adds.peek()) {
            (Some(k), Some(a)) => order::<O>(k, a).is_le(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return,
        };
        if take_seg {
            pending.push(kept.next().expect("peeked").clone());
        } else {
            pending.push(adds.next().expect("peeked"));
        }
    }
}
