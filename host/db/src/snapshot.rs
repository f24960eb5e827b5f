//! Snapshots of a database value: its datoms at one basis `t` as one binary body, what
//! versions before index roots (`root`) kept in the snapshot slot. They still open (into
//! a base held in memory, which the next indexing writes out as segments); only tests
//! write them now. Also the datom encoding segments and roots use.
//!
//! Body (version 2): the marker `-2`, basis t, next entity number, the transaction
//! times, the current datoms (in EAVT order), their AEVT, AVET and VAET orders as
//! positions in that list (so that opening sorts nothing), and the history, each entry
//! either the position of a current datom (most assertions still hold) or a datom.
//! Version 1 bodies (no marker, no orders, every history datom written out) still open;
//! their orders are sorted then.

use super::datom::Datom;
use super::segment::SegmentSource;
use super::value::{F64, Value};
use super::value_db::Db;
use anyhow::{Result, anyhow, bail};
use std::sync::Arc;

/// The body of `db`'s snapshot: a version 2 body, as the versions before index roots
/// wrote (for the tests that open one).
#[cfg(test)]
pub fn encode(db: &Db) -> Result<Vec<u8>> {
    let super::value_db::Parts {
        current,
        history,
        tx_times,
    } = db.parts()?;
    let at: std::collections::HashMap<*const Datom, u32> = current
        .iter()
        .enumerate()
        .map(|(i, d)| (Arc::as_ptr(d), i as u32))
        .collect();
    let orders = db.orders(|d| at[&Arc::as_ptr(d)])?;
    let mut body = Vec::with_capacity(64 * (current.len() + history.len()));
    body.extend(VERSION_2.to_le_bytes());
    body.extend(db.basis_t().to_le_bytes());
    body.extend(db.next_n.to_le_bytes());
    body.extend((tx_times.len() as u64).to_le_bytes());
    for (t, ms) in &tx_times {
        body.extend(t.to_le_bytes());
        body.extend(ms.to_le_bytes());
    }
    put_datoms(&mut body, &current);
    for order in &orders {
        body.extend((order.len() as u64).to_le_bytes());
        for i in order {
            body.extend(i.to_le_bytes());
        }
    }
    body.extend((history.len() as u64).to_le_bytes());
    for d in &history {
        match at.get(&Arc::as_ptr(d)) {
            Some(i) => {
                body.push(1);
                body.extend(i.to_le_bytes());
            }
            None => {
                body.push(0);
                put_datom(&mut body, d);
            }
        }
    }
    Ok(body)
}

/// The first 8 bytes of a version 2 body; a version 1 body starts with its basis t, which
/// is never negative.
const VERSION_2: i64 = -2;

#[cfg(test)]
fn put_datoms(body: &mut Vec<u8>, list: &[Arc<Datom>]) {
    body.extend((list.len() as u64).to_le_bytes());
    for d in list {
        put_datom(body, d);
    }
}

pub(crate) fn put_datom(body: &mut Vec<u8>, d: &Datom) {
    body.extend(d.e.to_le_bytes());
    body.extend(d.a.to_le_bytes());
    body.extend(d.tx.to_le_bytes());
    body.push(d.added as u8);
    put_value(body, &d.v);
}

/// The basis `t` of a snapshot body, read from its first bytes.
pub fn basis_t(body: &[u8]) -> Option<i64> {
    let word = |at: usize| Some(i64::from_le_bytes(body.get(at..at + 8)?.try_into().ok()?));
    match word(0)? {
        VERSION_2 | super::root::VERSION_3 => word(8),
        t => Some(t),
    }
}

/// The value a snapshot body (or an index root, whose segments `source` reads) holds.
pub fn decode(body: &[u8], source: Arc<dyn SegmentSource>) -> Result<Db> {
    let mut r = Reader { bytes: body, at: 0 };
    let first = r.i64()?;
    if first == super::root::VERSION_3 {
        return super::root::decode(body, source);
    }
    let version_2 = first == VERSION_2;
    let basis_t = if version_2 { r.i64()? } else { first };
    let next_n = r.i64()?;
    let n = r.u64()? as usize;
    let mut tx_times = Vec::with_capacity(n.min(body.len() / 16));
    for _ in 0..n {
        tx_times.push((r.i64()?, r.i64()?));
    }
    let current = r.datoms()?;
    let orders = if version_2 {
        let mut order = || -> Result<Vec<u32>> {
            let n = r.u64()? as usize;
            let mut out = Vec::with_capacity(n.min(body.len() / 4));
            for _ in 0..n {
                let i = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
                if i as usize >= current.len() {
                    bail!("an index order names datom {i} of {}", current.len());
                }
                out.push(i);
            }
            Ok(out)
        };
        Some([order()?, order()?, order()?])
    } else {
        None
    };
    let history = if version_2 {
        let n = r.u64()? as usize;
        let mut history = Vec::with_capacity(n.min(body.len() / 5));
        for _ in 0..n {
            history.push(match r.byte()? {
                1 => {
                    let i = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
                    current.get(i as usize).cloned().ok_or_else(|| {
                        anyhow!("the history names datom {i} of {}", current.len())
                    })?
                }
                0 => Arc::new(r.datom()?),
                tag => bail!("unknown history entry tag {tag} in the snapshot"),
            });
        }
        history
    } else {
        r.datoms()?
    };
    Ok(Db::from_parts(
        basis_t, next_n, tx_times, current, orders, history,
    )?)
}

fn put_str(out: &mut Vec<u8>, tag: u8, s: &str) {
    out.push(tag);
    out.extend((s.len() as u32).to_le_bytes());
    out.extend(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Bool(b) => out.extend([0, *b as u8]),
        Value::Long(n) => {
            out.push(1);
            out.extend(n.to_le_bytes());
        }
        Value::Double(d) => {
            out.push(2);
            out.extend(d.0.to_bits().to_le_bytes());
        }
        Value::Instant(ms) => {
            out.push(3);
            out.extend(ms.to_le_bytes());
        }
        Value::Ref(n) => {
            out.push(4);
            out.extend(n.to_le_bytes());
        }
        Value::Str(s) => put_str(out, 5, s),
        Value::Keyword(s) => put_str(out, 6, s),
        Value::Symbol(s) => put_str(out, 7, s),
        Value::Uuid(s) => put_str(out, 8, s),
        Value::BigInt(s) => put_str(out, 9, s),
        Value::BigDec(s) => put_str(out, 10, s),
        Value::Uri(s) => put_str(out, 11, s),
        Value::Tuple(items) => {
            out.push(12);
            out.extend((items.len() as u32).to_le_bytes());
            for i in items {
                put_value(out, i);
            }
        }
    }
}

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&[u8]> {
        let s = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or_else(|| anyhow!("the snapshot ends early"))?;
        self.at += n;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(self.u64()? as i64)
    }
    fn string(&mut self) -> Result<String> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| anyhow!("a snapshot string is not UTF-8"))
    }
    fn datoms(&mut self) -> Result<Vec<Arc<Datom>>> {
        let n = self.u64()? as usize;
        let mut list = Vec::with_capacity(n.min(self.bytes.len() / 26));
        for _ in 0..n {
            list.push(Arc::new(self.datom()?));
        }
        Ok(list)
    }

    pub(crate) fn datom(&mut self) -> Result<Datom> {
        let (e, a, tx) = (self.i64()?, self.i64()?, self.i64()?);
        let added = self.byte()? == 1;
        let v = self.value()?;
        Ok(Datom { e, a, v, tx, added })
    }

    fn value(&mut self) -> Result<Value> {
        Ok(match self.byte()? {
            0 => Value::Bool(self.byte()? == 1),
            1 => Value::Long(self.i64()?),
            2 => Value::Double(F64(f64::from_bits(self.u64()?))),
            3 => Value::Instant(self.i64()?),
            4 => Value::Ref(self.i64()?),
            5 => Value::Str(self.string()?),
            6 => Value::Keyword(self.string()?),
            7 => Value::Symbol(self.string()?),
            8 => Value::Uuid(self.string()?),
            9 => Value::BigInt(self.string()?),
            10 => Value::BigDec(self.string()?),
            11 => Value::Uri(self.string()?),
            12 => {
                let n = u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize;
                Value::Tuple((0..n).map(|_| self.value()).collect::<Result<_>>()?)
            }
            t => bail!("unknown value tag {t} in the snapshot"),
        })
    }
}
