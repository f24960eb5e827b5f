//! A database's transaction log on disk: one record per transaction, appended and
//! fsynced before the transaction is acknowledged. A record is its length, a CRC-32 of
//! its payload, and the payload (EDN: `t`, next entity number, instant, datoms). Opening
//! replays every whole record; a torn or damaged record at the end (a crash mid-write)
//! is cut off and never applied. The file is locked so one process writes it at a time.

use super::datom::Datom;
use super::value::Value;
use super::value_db::Db;
use anyhow::{Context as _, Result, anyhow, bail};
use ion_edn::Edn;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

/// An open, locked transaction log.
pub struct Log {
    file: File,
    path: PathBuf,
    /// Bytes in the log.
    pub(crate) len: u64,
    /// The log offset the last snapshot covers.
    pub(crate) snapshot_at: u64,
}

/// What opening a log found.
pub struct Replayed {
    /// The database after every whole record.
    pub db: Db,
    /// Transactions replayed.
    pub transactions: usize,
    /// Bytes of a torn record cut off the end.
    pub discarded: u64,
}

impl Log {
    /// Opens (creating) the log at `path`, replays it, and locks it for writing.
    pub fn open(path: &Path) -> Result<(Log, Replayed)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        file.try_lock()
            .map_err(|_| anyhow!("{} is open in another process", path.display()))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", path.display()))?;
        let dir = path.parent().expect("a log lives in its database's folder");
        let (mut db, mut at) = match super::snapshot::read(dir) {
            Ok(Some((db, offset))) if offset as usize <= bytes.len() => (db, offset as usize),
            Ok(Some(_)) => {
                tracing::warn!(db = %dir.display(), "the snapshot covers more log than exists; replaying the whole log");
                (Db::empty(), 0)
            }
            Ok(None) => (Db::empty(), 0),
            Err(e) => {
                tracing::warn!(db = %dir.display(), "ignoring the snapshot ({e:#}); replaying the whole log");
                (Db::empty(), 0)
            }
        };
        let snapshot_at = at as u64;
        let mut transactions = 0;
        while let Some((payload, next)) = record(&bytes, at) {
            let text = std::str::from_utf8(payload)
                .map_err(|_| anyhow!("{}: record at byte {at} is not UTF-8", path.display()))?;
            apply(&mut db, text)
                .with_context(|| format!("{}: record at byte {at}", path.display()))?;
            at = next;
            transactions += 1;
        }
        let discarded = (bytes.len() - at) as u64;
        if discarded > 0 {
            tracing::warn!(
                log = %path.display(),
                bytes = discarded,
                "discarded a torn record at the end of the transaction log (a crash while writing it); it was never acknowledged"
            );
            file.set_len(at as u64)
                .and_then(|()| file.sync_all())
                .with_context(|| format!("truncating {}", path.display()))?;
            file.seek(SeekFrom::End(0))?;
        }
        Ok((
            Log {
                file,
                path: path.to_owned(),
                len: at as u64,
                snapshot_at,
            },
            Replayed {
                db,
                transactions,
                discarded,
            },
        ))
    }

    /// Appends one transaction and waits until it is on disk.
    pub fn append(&mut self, t: i64, next_n: i64, instant_ms: i64, datoms: &[Datom]) -> Result<()> {
        let datoms: Vec<Edn<'static>> = datoms.iter().map(|d| d.to_edn()).collect();
        let payload = format!(
            "{{:t {t} :next-n {next_n} :instant {instant_ms} :datoms {}}}",
            ion_edn::print(&Edn::Vector(datoms))
        );
        let mut rec = Vec::with_capacity(payload.len() + 8);
        rec.extend((payload.len() as u32).to_le_bytes());
        rec.extend(crc32fast::hash(payload.as_bytes()).to_le_bytes());
        rec.extend(payload.as_bytes());
        self.file
            .write_all(&rec)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("appending to {}", self.path.display()))?;
        self.len += rec.len() as u64;
        Ok(())
    }
}

/// The payload of the whole record at `at` and where the next starts.
fn record(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let head = bytes.get(at..at + 8)?;
    let len = u32::from_le_bytes(head[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head[4..].try_into().ok()?);
    let payload = bytes.get(at + 8..at + 8 + len)?;
    (crc32fast::hash(payload) == crc).then_some((payload, at + 8 + len))
}

fn apply(db: &mut Db, text: &str) -> Result<()> {
    let doc = ion_edn::read(text).map_err(|e| anyhow!("not EDN: {e}"))?;
    let int = |k: &str| match ion_edn::get(&doc, k) {
        Some(Edn::Int(n)) => Ok(*n),
        _ => Err(anyhow!(":{k} is missing")),
    };
    let (t, next_n, instant) = (int("t")?, int("next-n")?, int("instant")?);
    let Some(Edn::Vector(items)) = ion_edn::get(&doc, "datoms") else {
        bail!(":datoms is missing");
    };
    let mut datoms = Vec::with_capacity(items.len());
    for item in items {
        let Edn::Vector(f) = item else {
            bail!("a datom is not a vector")
        };
        let (
            Some(Edn::Int(e)),
            Some(Edn::Int(a)),
            Some(v),
            Some(Edn::Int(tx)),
            Some(Edn::Bool(added)),
        ) = (f.first(), f.get(1), f.get(2), f.get(3), f.get(4))
        else {
            bail!("malformed datom {}", ion_edn::print(item));
        };
        let value_type = db
            .schema
            .attrs
            .get(a)
            .map(|attr| attr.value_type)
            .ok_or_else(|| anyhow!("datom {} names unknown attribute {a}", ion_edn::print(item)))?;
        let v = Value::from_edn(v, value_type)
            .map_err(|m| anyhow!("datom {}: {m}", ion_edn::print(item)))?;
        datoms.push(Datom {
            e: *e,
            a: *a,
            v,
            tx: *tx,
            added: *added,
        });
    }
    db.apply(&datoms, t, next_n, instant);
    Ok(())
}

/// Where database `name` keeps its log under `dir`.
pub fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name).join("log")
}
