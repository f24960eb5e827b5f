//! How one part is stored: compressed, and where a similar part is already stored, as a
//! delta against it. A part's key is the SHA-256 of its *decoded* bytes, so however it
//! is encoded, what a reader gets back is checked against the name it asked for.
//!
//! Encoding: `ionpart` magic, a version byte, a kind byte (0 whole, 1 delta), the decoded
//! size (u64 little-endian), for a delta the SHA-256 of its base part and the chain depth
//! (u8), then one zstd frame with a content checksum. A delta's frame is compressed with
//! the base part's bytes as zstd's raw-content dictionary (zstd's "patch-from").

use anyhow::{Context as _, Result, bail};
use sha2::{Digest, Sha256};
use zstd::zstd_safe::{CParameter, DParameter};

const MAGIC: &[u8; 7] = b"ionpart";
const VERSION: u8 = 1;
/// The longest delta chain a part may have: decoding it reads at most this many bases.
pub const MAX_DEPTH: u8 = 8;
/// Parts larger than this are compressed at a faster level.
const BIG: usize = 4 << 20;
/// The most a part may decode to where no manifest says its size (a delta's base): a
/// header claiming more is corrupt, and is refused before anything is allocated.
pub const MAX_PART_BYTES: u64 = 1 << 30;

/// A part's name: the SHA-256 of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartId(pub [u8; 32]);

impl PartId {
    /// The id of `bytes`.
    pub fn of(bytes: &[u8]) -> PartId {
        PartId(Sha256::digest(bytes).into())
    }

    /// Lower-case hex.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits, or `sha256:` followed by them.
    pub fn parse(text: &str) -> Result<PartId> {
        let hex_part = text.strip_prefix("sha256:").unwrap_or(text);
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out)
            .with_context(|| format!("{text:?} is not a SHA-256 (64 hex digits)"))?;
        Ok(PartId(out))
    }
}

impl std::fmt::Display for PartId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

/// What an encoded part's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The decoded size.
    pub size: u64,
    /// For a delta: its base part and the chain's depth (1 = the base is whole).
    pub base: Option<(PartId, u8)>,
    /// Where the zstd frame starts.
    frame_at: usize,
}

/// Reads an encoded part's header.
pub fn header(encoded: &[u8]) -> Result<Header> {
    let short = || anyhow::anyhow!("the stored object is too short for a part header");
    if encoded.len() < 17 || &encoded[..7] != MAGIC {
        bail!("the stored object is not an encoded part (bad magic)");
    }
    if encoded[7] != VERSION {
        bail!(
            "part encoding version {} is not known to this host",
            encoded[7]
        );
    }
    let size = u64::from_le_bytes(encoded[9..17].try_into().expect("8 bytes"));
    match encoded[8] {
        0 => Ok(Header {
            size,
            base: None,
            frame_at: 17,
        }),
        1 => {
            let id = encoded.get(17..49).ok_or_else(short)?;
            let depth = *encoded.get(49).ok_or_else(short)?;
            Ok(Header {
                size,
                base: Some((PartId(id.try_into().expect("32 bytes")), depth)),
                frame_at: 50,
            })
        }
        k => bail!("unknown part kind {k}"),
    }
}

fn level(len: usize) -> i32 {
    if len > BIG { 12 } else { 19 }
}

fn window_log(len: usize) -> u32 {
    (usize::BITS - len.max(1024).leading_zeros()).clamp(10, 30)
}

/// `bytes` encoded whole.
pub fn encode_whole(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut c = zstd::bulk::Compressor::new(level(bytes.len()))?;
    c.set_parameter(CParameter::ChecksumFlag(true))?;
    let mut out = head(0, bytes.len());
    out.extend(c.compress(bytes)?);
    Ok(out)
}

/// `bytes` encoded as a delta against `base` (named `base_id`, itself at `base_depth`).
pub fn encode_delta(bytes: &[u8], base_id: PartId, base: &[u8], base_depth: u8) -> Result<Vec<u8>> {
    let mut c = zstd::bulk::Compressor::new(level(bytes.len()))?;
    c.set_parameter(CParameter::ChecksumFlag(true))?;
    c.set_parameter(CParameter::WindowLog(window_log(bytes.len() + base.len())))?;
    c.set_parameter(CParameter::EnableLongDistanceMatching(bytes.len() > BIG))?;
    c.set_dictionary(level(bytes.len()), base)?;
    let mut out = head(1, bytes.len());
    out.extend(base_id.0);
    out.push(base_depth + 1);
    out.extend(c.compress(bytes)?);
    Ok(out)
}

fn head(kind: u8, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend(MAGIC);
    out.push(VERSION);
    out.push(kind);
    out.extend((size as u64).to_le_bytes());
    out
}

/// Decodes an encoded part; `base` is the decoded base when the header names one, and
/// `limit` the most it may decode to (the manifest's size of the part, or
/// `MAX_PART_BYTES`). A header that claims more is refused before anything is allocated.
/// The caller checks the result against the part's id.
pub fn decode(encoded: &[u8], base: Option<&[u8]>, limit: u64) -> Result<Vec<u8>> {
    let h = header(encoded)?;
    if h.size > limit {
        bail!(
            "its header claims {} bytes, more than the {limit} it may decode to",
            h.size
        );
    }
    let size = usize::try_from(h.size).context("the part's size does not fit in memory")?;
    let frame = &encoded[h.frame_at..];
    let mut d = match (h.base, base) {
        (None, _) => zstd::bulk::Decompressor::new()?,
        (Some(_), Some(base)) => zstd::bulk::Decompressor::with_dictionary(base)?,
        (Some((id, _)), None) => bail!("the part is a delta against {id}, which was not given"),
    };
    d.set_parameter(DParameter::WindowLogMax(31))?;
    let out = d
        .decompress(frame, size)
        .context("the part's compressed bytes are damaged")?;
    if out.len() != size {
        bail!(
            "the part decodes to {} bytes, its header says {size}",
            out.len()
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_delta_round_trip_and_a_delta_of_a_small_change_is_small() {
        let base: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i * 7919 % 65_521).to_le_bytes())
            .collect();
        let mut next = base.clone();
        next[100_000..100_004].copy_from_slice(b"edit");
        let whole = encode_whole(&base).unwrap();
        assert_eq!(decode(&whole, None, MAX_PART_BYTES).unwrap(), base);
        let delta = encode_delta(&next, PartId::of(&base), &base, 0).unwrap();
        assert!(delta.len() < 200, "delta is {} bytes", delta.len());
        let h = header(&delta).unwrap();
        assert_eq!(h.base, Some((PartId::of(&base), 1)));
        assert_eq!(decode(&delta, Some(&base), MAX_PART_BYTES).unwrap(), next);
        assert!(decode(&delta, None, MAX_PART_BYTES).is_err());
        let mut flipped = whole.clone();
        let last = flipped.len() - 10;
        flipped[last] ^= 1;
        assert!(decode(&flipped, None, MAX_PART_BYTES).is_err());
    }

    /// Hardening round 2, item 7: a corrupt header must not make the reader allocate
    /// what it claims.
    #[test]
    fn a_header_claiming_more_than_the_part_may_hold_is_refused_before_allocating() {
        let mut claims_a_tib = encode_whole(b"five!").unwrap();
        claims_a_tib[9..17].copy_from_slice(&(1u64 << 40).to_le_bytes());
        for limit in [5, MAX_PART_BYTES] {
            let e = decode(&claims_a_tib, None, limit).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "its header claims 1099511627776 bytes, more than the {limit} it may decode to"
                )
            );
        }
        // Within its limit, a header that lies is caught by the frame.
        let mut claims_more = encode_whole(b"five!").unwrap();
        claims_more[9..17].copy_from_slice(&6u64.to_le_bytes());
        assert!(decode(&claims_more, None, 6).is_err());
    }
}
