//! Index segments: immutable sorted runs of datoms, compressed and named by the SHA-256
//! of their bytes, kept in the database's storage and read on demand through one bounded
//! cache per process.
//!
//! A segment's bytes are zstd of: a version byte, the index order, the datom count, and
//! the datoms (the snapshot datom encoding). Its key is the hex SHA-256 of those bytes,
//! so a segment is written once, never changed, shared by every index root that holds
//! it, and checked when read (bytes that do not hash to their key are `Corrupt`).
//!
//! The cache (`ION_DB_CACHE_BYTES`, default 512 MiB) holds decoded segments by key, least
//! recently used first out, weighed by their decoded size; its hits, misses and evictions
//! are counted for `/metrics`. Owns the format, the cache and the blocking read a lazy
//! scan makes; knows nothing of roots, transactions or queries.

use super::datom::Datom;
use super::storage::StorageError;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The datoms of one segment, in its index's order.
pub type Datoms = Arc<Vec<Arc<Datom>>>;

/// A segment's name: the SHA-256 of its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub [u8; 32]);

impl Key {
    /// The key as 64 hex digits (how storage names the segment).
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key 64 hex digits name.
    pub fn parse(hex: &str) -> Option<Key> {
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Key(out))
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

/// Reads segments from a database's storage, blocking the calling thread: what a lazy
/// scan calls on a cache miss (see [`blocking_read`]).
pub trait SegmentSource: Send + Sync {
    /// The bytes of segment `key`.
    fn read_segment(&self, key: &Key) -> Result<Vec<u8>, StorageError>;

    /// The storage, for errors.
    fn describe(&self) -> &str;
}

const VERSION: u8 = 1;
const LEVEL: i32 = 3;

/// The bytes and key of a segment holding `datoms` (in order `order`).
pub fn encode(order: u8, datoms: &[Arc<Datom>]) -> (Key, Vec<u8>) {
    let mut raw = Vec::with_capacity(6 + datoms.len() * 40);
    raw.push(VERSION);
    raw.push(order);
    raw.extend((datoms.len() as u32).to_le_bytes());
    for d in datoms {
        super::snapshot::put_datom(&mut raw, d);
    }
    let bytes = zstd::bulk::compress(&raw, LEVEL).expect("zstd compresses any bytes");
    (Key(Sha256::digest(&bytes).into()), bytes)
}

/// The datoms of segment `key` from its `bytes`, checked against the key and `order`.
pub fn decode(key: &Key, order: u8, bytes: &[u8], storage: &str) -> Result<Datoms, StorageError> {
    let corrupt = |what: String| StorageError::corrupt(storage, format!("segment {key:?}: {what}"));
    if <[u8; 32]>::from(Sha256::digest(bytes)) != key.0 {
        return Err(corrupt("its bytes do not hash to its name".into()));
    }
    let raw = zstd::stream::decode_all(bytes).map_err(|e| corrupt(format!("{e}")))?;
    let (head, body) = raw
        .split_at_checked(6)
        .ok_or_else(|| corrupt("too short".into()))?;
    if head[0] != VERSION || head[1] != order {
        return Err(corrupt(format!(
            "version {} order {}, expected version {VERSION} order {order}",
            head[0], head[1]
        )));
    }
    let n = u32::from_le_bytes(head[2..6].try_into().expect("4 bytes")) as usize;
    let mut r = super::snapshot::Reader::new(body);
    let mut out = Vec::with_capacity(n.min(body.len() / 26));
    for _ in 0..n {
        out.push(Arc::new(r.datom().map_err(|e| corrupt(format!("{e:#}")))?));
    }
    Ok(Arc::new(out))
}

/// Counters of the segment cache, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Segment reads the cache answered.
    pub hits: u64,
    /// Segment reads that went to storage.
    pub misses: u64,
    /// Segments dropped to stay within the budget.
    pub evictions: u64,
    /// Decoded bytes held now.
    pub bytes: u64,
    /// The budget.
    pub capacity: u64,
}

/// The cached segments (each with its weight) and their total weight.
type Held = (lru::LruCache<Key, (Datoms, u64)>, u64);

/// The process's segment cache.
struct Cache {
    lru: Mutex<Held>,
    capacity: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

/// The cache's budget when `ION_DB_CACHE_BYTES` is not set.
pub const DEFAULT_CACHE_BYTES: u64 = 512 << 20;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let capacity = match std::env::var("ION_DB_CACHE_BYTES") {
            Ok(text) => parse_bytes(&text).unwrap_or_else(|| {
                tracing::error!(
                    value = text,
                    "ION_DB_CACHE_BYTES: expected a size such as 268435456, 256MiB or 1GiB; using the default of 512MiB"
                );
                DEFAULT_CACHE_BYTES
            }),
            Err(_) => DEFAULT_CACHE_BYTES,
        };
        Cache {
            lru: Mutex::new((lru::LruCache::unbounded(), 0)),
            capacity,
            hits: AtomicU64::default(),
            misses: AtomicU64::default(),
            evictions: AtomicU64::default(),
        }
    })
}

/// A size in bytes: a number, optionally followed by KiB, MiB or GiB (or KB, MB, GB).
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let n: u64 = text[..digits].parse().ok()?;
    let unit: u64 = match text[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// Checks the database's size variables (`ION_DB_CACHE_BYTES`, `ION_DB_INDEX_EVERY`):
/// the error names the variable, its value and what was expected. A process calls it
/// before it opens a database, so a malformed value is refused, never replaced.
pub fn check_env() -> Result<(), String> {
    for name in ["ION_DB_CACHE_BYTES", "ION_DB_INDEX_EVERY"] {
        if let Ok(text) = std::env::var(name)
            && parse_bytes(&text).is_none_or(|n| n == 0)
        {
            return Err(format!(
                "{name}={text:?}: expected a size above zero, such as 268435456, 256MiB or 1GiB"
            ));
        }
    }
    Ok(())
}

/// The cache's counters now.
pub fn cache_stats() -> CacheStats {
    let c = cache();
    CacheStats {
        hits: c.hits.load(Ordering::Relaxed),
        misses: c.misses.load(Ordering::Relaxed),
        evictions: c.evictions.load(Ordering::Relaxed),
        bytes: c.lru.lock().map(|l| l.1).unwrap_or(0),
        capacity: c.capacity,
    }
}

/// The decoded size of `datoms`, roughly: what the cache weighs a segment by.
fn weight(datoms: &[Arc<Datom>]) -> u64 {
    let heap = |d: &Datom| match &d.v {
        super::value::Value::Str(s)
        | super::value::Value::Keyword(s)
        | super::value::Value::Symbol(s)
        | super::value::Value::Uuid(s)
        | super::value::Value::BigInt(s)
        | super::value::Value::BigDec(s)
        | super::value::Value::Uri(s) => s.len() as u64,
        super::value::Value::Tuple(items) => 32 * items.len() as u64,
        _ => 0,
    };
    datoms
        .iter()
        .map(|d| (8 + 16 + std::mem::size_of::<Datom>()) as u64 + heap(d))
        .sum::<u64>()
        + 64
}

thread_local! {
    /// The segment this thread loaded last, held weakly (the cache alone decides what
    /// stays in memory): a query's lookups per row mostly land in the segment the lookup
    /// before read, and answering them here skips the cache's lock and hash. A key names
    /// its bytes (SHA-256), so a segment found here is the one storage holds.
    static LAST: std::cell::RefCell<Option<Last>> = const { std::cell::RefCell::new(None) };
}

/// A segment's key, order and datoms, held weakly.
type Last = (Key, u8, std::sync::Weak<Vec<Arc<Datom>>>);

/// Segment `key` (of index order `order`): from the cache, or read from `source` and
/// kept. The read blocks; see [`blocking_read`].
pub fn load(source: &dyn SegmentSource, key: &Key, order: u8) -> Result<Datoms, StorageError> {
    let c = cache();
    let last = LAST.with_borrow(|last| match last {
        Some((k, o, weak)) if k == key && *o == order => weak.upgrade(),
        _ => None,
    });
    if let Some(datoms) = last {
        c.hits.fetch_add(1, Ordering::Relaxed);
        return Ok(datoms);
    }
    let datoms = load_shared(source, key, order)?;
    LAST.set(Some((*key, order, Arc::downgrade(&datoms))));
    Ok(datoms)
}

/// `load` through the cache shared by every thread.
fn load_shared(source: &dyn SegmentSource, key: &Key, order: u8) -> Result<Datoms, StorageError> {
    let c = cache();
    if let Some((datoms, _)) = c.lru.lock().expect("cache lock").0.get(key) {
        c.hits.fetch_add(1, Ordering::Relaxed);
        return Ok(datoms.clone());
    }
    c.misses.fetch_add(1, Ordering::Relaxed);
    let bytes = blocking_read(|| source.read_segment(key))?;
    let datoms = decode(key, order, &bytes, source.describe())?;
    let w = weight(&datoms);
    let mut guard = c.lru.lock().expect("cache lock");
    let (lru, held) = &mut *guard;
    if let Some((_, old)) = lru.put(*key, (datoms.clone(), w)) {
        *held -= old;
    }
    *held += w;
    while *held > c.capacity && lru.len() > 1 {
        match lru.pop_lru() {
            Some((_, (_, w))) => {
                *held -= w;
                c.evictions.fetch_add(1, Ordering::Relaxed);
            }
            None => break,
        }
    }
    Ok(datoms)
}

/// Runs `read`, a blocking storage read. On a worker of tokio's multi-threaded runtime
/// (a query or pull inside a request) it runs under `block_in_place`, which first hands
/// the worker's other tasks to another thread, so requests scheduled there do not wait
/// on the read. Elsewhere (a blocking-pool thread, the commit thread, a test's
/// current-thread runtime) it runs as it is.
pub fn blocking_read<T>(read: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(read)
        }
        _ => read(),
    }
}

/// An empty cache, so the next reads miss: for the cold-read bench and tests.
pub fn clear_cache() {
    let mut guard = cache().lru.lock().expect("cache lock");
    guard.0.clear();
    guard.1 = 0;
    LAST.set(None);
}

/// Runs `read`, a future of network storage, to its end from the blocking context
/// [`blocking_read`] gives, on the runtime `handle` names. A current-thread runtime
/// cannot drive the future while its only thread waits, so there it is refused.
pub fn block_on<F: std::future::Future>(
    handle: &tokio::runtime::Handle,
    storage: &str,
    read: F,
) -> Result<F::Output, StorageError> {
    if let Ok(h) = tokio::runtime::Handle::try_current()
        && h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread
    {
        return Err(StorageError::unavailable(
            storage,
            "reading an index segment from network storage needs tokio's multi-threaded runtime",
        ));
    }
    Ok(handle.block_on(read))
}
