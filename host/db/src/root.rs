//! Index roots: what storage keeps in a database's snapshot slot once its indexes live
//! in segments. A root names, for one basis `t`, every segment of the five trees (EAVT,
//! AEVT, AVET, VAET and the history), each by its first datom, its length and its key,
//! so opening a database reads the root and the log after it, and nothing else.
//!
//! Body (version 3): the marker `-3`, basis t, when it was written (ms since the epoch:
//! what garbage collection's grace period counts from), next entity number, the transaction
//! times, then each tree: its segment count and, per segment, its first datom (the
//! snapshot datom encoding), its length (u32) and its key (32 bytes). Owns the format
//! only; `indexing` makes the trees, `base` reads them.

use super::base::{Base, Place, Seg, Tree};
use super::segment::{Key, SegmentSource};
use super::snapshot::{Reader, put_datom};
use super::value_db::Db;
use anyhow::{Result, bail};
use std::sync::Arc;

/// The first 8 bytes of a root.
pub const VERSION_3: i64 = -3;

/// The root of `db`, whose datoms are all in stored segments of its base (`indexing`
/// makes such a value). `None` when some segment is only in memory.
pub fn encode(db: &Db) -> Option<Vec<u8>> {
    let base = &db.base;
    let mut body = Vec::with_capacity(64 * 1024);
    body.extend(VERSION_3.to_le_bytes());
    body.extend(db.basis_t().to_le_bytes());
    body.extend(super::now_ms().to_le_bytes());
    body.extend(db.next_n.to_le_bytes());
    body.extend((db.tx_times.len() as u64).to_le_bytes());
    for (t, ms) in &db.tx_times {
        body.extend(t.to_le_bytes());
        body.extend(ms.to_le_bytes());
    }
    put_tree(&mut body, &base.eavt)?;
    put_tree(&mut body, &base.aevt)?;
    put_tree(&mut body, &base.avet)?;
    put_tree(&mut body, &base.vaet)?;
    put_tree(&mut body, &base.history)?;
    Some(body)
}

fn put_tree<const O: u8>(body: &mut Vec<u8>, tree: &Tree<O>) -> Option<()> {
    body.extend((tree.segs.len() as u64).to_le_bytes());
    for seg in &tree.segs {
        let Place::Stored(key) = &seg.place else {
            return None;
        };
        put_datom(body, &seg.first);
        body.extend(seg.len.to_le_bytes());
        body.extend(key.0);
    }
    Some(())
}

/// A root as read: its header and its trees (segments stored, no source yet).
struct Read {
    basis_t: i64,
    written_ms: i64,
    next_n: i64,
    tx_times: Vec<(i64, i64)>,
    base: Base,
}

/// The root `body` holds; `None` when it is not a root (an older version's snapshot).
fn read(body: &[u8]) -> Result<Option<Read>> {
    let mut r = Reader::new(body);
    if r.i64()? != VERSION_3 {
        return Ok(None);
    }
    let basis_t = r.i64()?;
    let written_ms = r.i64()?;
    let next_n = r.i64()?;
    let n = r.u64()? as usize;
    let mut tx_times = Vec::with_capacity(n.min(body.len() / 16));
    for _ in 0..n {
        tx_times.push((r.i64()?, r.i64()?));
    }
    let base = Base {
        eavt: tree(&mut r)?,
        aevt: tree(&mut r)?,
        avet: tree(&mut r)?,
        vaet: tree(&mut r)?,
        history: tree(&mut r)?,
        source: None,
    };
    Ok(Some(Read {
        basis_t,
        written_ms,
        next_n,
        tx_times,
        base,
    }))
}

/// The value a root describes, reading its segments from `source` when asked.
pub fn decode(body: &[u8], source: Arc<dyn SegmentSource>) -> Result<Db> {
    let Some(mut root) = read(body)? else {
        bail!("not an index root");
    };
    root.base.source = Some(source);
    Ok(Db::from_base(
        root.base,
        root.basis_t,
        root.next_n,
        root.tx_times,
        None,
    )?)
}

/// What garbage collection needs of a root: when it was written, and every segment it
/// names. `None` for a body that is not a root (an older version's snapshot).
pub fn segments_of(body: &[u8]) -> Result<Option<(i64, Vec<Key>)>> {
    let Some(root) = read(body)? else {
        return Ok(None);
    };
    let b = &root.base;
    let keys = [
        &b.eavt.segs,
        &b.aevt.segs,
        &b.avet.segs,
        &b.vaet.segs,
        &b.history.segs,
    ]
    .into_iter()
    .flatten()
    .filter_map(|seg| match seg.place {
        Place::Stored(key) => Some(key),
        Place::Here(_) => None,
    })
    .collect();
    Ok(Some((root.written_ms, keys)))
}

fn tree<const O: u8>(r: &mut Reader<'_>) -> Result<Tree<O>> {
    let n = r.u64()? as usize;
    let mut segs = Vec::with_capacity(n.min(1 << 20));
    let mut len = 0usize;
    for _ in 0..n {
        let first = Arc::new(r.datom()?);
        let count = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
        let key = Key(r.take(32)?.try_into().expect("32 bytes"));
        if count == 0 {
            bail!("the root names an empty segment {key:?}");
        }
        if let Some(prev) = segs.last().map(|s: &Seg| s.first.clone())
            && super::datom::order::<O>(&prev, &first).is_ge()
        {
            bail!("the root's segments are out of order at {key:?}");
        }
        len += count as usize;
        segs.push(Seg {
            first,
            len: count,
            place: Place::Stored(key),
        });
    }
    Ok(Tree { segs, len })
}
