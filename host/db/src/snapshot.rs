//! Snapshots of a database value, so a restart loads the indexes in one binary read and
//! replays only the log written after them. A snapshot is written from an immutable
//! value in the background (transactions go on meanwhile), to a temporary file that is
//! fsynced and renamed into place. It names the log offset it covers; one that is
//! damaged, or covers more log than exists, is ignored (the log alone is the truth).
//!
//! Format: `ionsnap1`, the log offset (u64), a CRC-32 of the rest, then basis t, next
//! entity number, the transaction times, the current datoms and the history datoms.

use super::datom::Datom;
use super::value::{F64, Value};
use super::value_db::Db;
use anyhow::{Context as _, Result, anyhow, bail};
use std::io::Write as _;
use std::path::Path;

const MAGIC: &[u8; 8] = b"ionsnap1";

/// Where database `dir`'s snapshot lives.
pub fn path(dir: &Path) -> std::path::PathBuf {
    dir.join("snapshot")
}

/// Writes `db`, which covers the log up to `log_offset`, as `dir`'s snapshot.
pub fn write(dir: &Path, db: &Db, log_offset: u64) -> Result<()> {
    let super::value_db::Parts {
        current,
        history,
        tx_times,
    } = db.parts();
    let mut body = Vec::with_capacity(64 * (current.len() + history.len()));
    body.extend(db.basis_t().to_le_bytes());
    body.extend(db.next_n.to_le_bytes());
    body.extend((tx_times.len() as u64).to_le_bytes());
    for (t, ms) in &tx_times {
        body.extend(t.to_le_bytes());
        body.extend(ms.to_le_bytes());
    }
    for list in [&current, &history] {
        body.extend((list.len() as u64).to_le_bytes());
        for d in list.iter() {
            body.extend(d.e.to_le_bytes());
            body.extend(d.a.to_le_bytes());
            body.extend(d.tx.to_le_bytes());
            body.push(d.added as u8);
            put_value(&mut body, &d.v);
        }
    }
    let mut file = Vec::with_capacity(body.len() + 20);
    file.extend(MAGIC);
    file.extend(log_offset.to_le_bytes());
    file.extend(crc32fast::hash(&body).to_le_bytes());
    file.extend(body);
    let tmp = dir.join(format!("snapshot.tmp{}", std::process::id()));
    (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&file)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path(dir))?;
        std::fs::File::open(dir)?.sync_all()
    })()
    .with_context(|| format!("writing the snapshot in {}", dir.display()))
}

/// The snapshot in `dir` and the log offset it covers, if there is a sound one.
pub fn read(dir: &Path) -> Result<Option<(Db, u64)>> {
    let bytes = match std::fs::read(path(dir)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path(dir).display())),
    };
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        bail!("not a snapshot (bad magic)");
    }
    let offset = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[16..20].try_into().expect("4 bytes"));
    let body = &bytes[20..];
    if crc32fast::hash(body) != crc {
        bail!("the snapshot's checksum does not match");
    }
    let mut r = Reader { bytes: body, at: 0 };
    let basis_t = r.i64()?;
    let next_n = r.i64()?;
    let n = r.u64()? as usize;
    let mut tx_times = Vec::with_capacity(n);
    for _ in 0..n {
        tx_times.push((r.i64()?, r.i64()?));
    }
    let mut lists = [Vec::new(), Vec::new()];
    for list in &mut lists {
        let n = r.u64()? as usize;
        list.reserve(n.min(1 << 24));
        for _ in 0..n {
            let (e, a, tx) = (r.i64()?, r.i64()?, r.i64()?);
            let added = r.byte()? == 1;
            let v = r.value()?;
            list.push(Datom { e, a, v, tx, added });
        }
    }
    let [current, history] = lists;
    Ok(Some((
        Db::from_parts(basis_t, next_n, tx_times, current, history),
        offset,
    )))
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

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
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
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(self.u64()? as i64)
    }
    fn string(&mut self) -> Result<String> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| anyhow!("a snapshot string is not UTF-8"))
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
