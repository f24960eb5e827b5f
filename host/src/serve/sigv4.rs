//! AWS Signature Version 4 on the Lambda Invoke API: the credentials a node accepts and the
//! check of a request against them — the `Authorization` header parsed, the canonical
//! request rebuilt from what arrived, the string to sign, the signing key, a constant-time
//! compare, and the 15-minute clock window — answering AWS's error types when it fails.
//!
//! Knows nothing of lambdas: it sees a request head and a body. Never formats a secret.

use super::body::{Body, respond};
use hmac::{Hmac, Mac};
use hyper::header::HeaderMap;
use hyper::{Method, Response, Uri};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The only algorithm SigV4 names.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service a credential scope must name.
const SERVICE: &str = "lambda";
/// How far a request's `X-Amz-Date` may be from the node's clock, as at AWS.
pub const CLOCK_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The access keys a node accepts: access key id → secret access key.
pub struct Credentials {
    keys: HashMap<String, String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({} access keys)", self.keys.len())
    }
}

/// Why a credentials file was refused. Names the entry, never quotes it (it may hold a
/// secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// An entry is not two words.
    #[error(
        "{source_name}: entry {entry} has {words} words; expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`"
    )]
    Entry {
        /// Where the text came from.
        source_name: String,
        /// The entry's number, from 1.
        entry: usize,
        /// How many words it has.
        words: usize,
    },
    /// An access key id appears twice.
    #[error("{source_name}: access key id {id} is listed twice; expected each once")]
    Twice {
        /// Where the text came from.
        source_name: String,
        /// The access key id (not a secret).
        id: String,
    },
    /// No entry at all.
    #[error("{source_name}: no credentials; expected lines `ACCESS_KEY_ID SECRET_ACCESS_KEY`")]
    Empty {
        /// Where the text came from.
        source_name: String,
    },
}

impl Credentials {
    /// Reads `ACCESS_KEY_ID SECRET_ACCESS_KEY` pairs, one per line or separated by commas
    /// (`#` starts a comment). `source` names where the text came from in errors, which
    /// never quote an entry (it may hold a secret).
    pub fn parse(text: &str, source: &str) -> Result<Credentials, CredentialsError> {
        let mut keys = HashMap::new();
        let entries = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty());
        for (n, entry) in entries.enumerate() {
            let words: Vec<&str> = entry.split_whitespace().collect();
            let [id, secret] = words[..] else {
                return Err(CredentialsError::Entry {
                    source_name: source.to_owned(),
                    entry: n + 1,
                    words: words.len(),
                });
            };
            if keys.insert(id.to_owned(), secret.to_owned()).is_some() {
                return Err(CredentialsError::Twice {
                    source_name: source.to_owned(),
                    id: id.to_owned(),
                });
            }
        }
        if keys.is_empty() {
            return Err(CredentialsError::Empty {
                source_name: source.to_owned(),
            });
        }
        Ok(Credentials { keys })
    }
}

/// Why a request is refused: AWS's error type and message, answered 403.
#[derive(Debug, PartialEq, Eq)]
pub struct Denied {
    /// `x-amzn-ErrorType`, e.g. `InvalidSignatureException`.
    pub error_type: &'static str,
    /// The message, as AWS words it where AWS has one.
    pub message: String,
}

impl Denied {
    fn new(error_type: &'static str, message: impl Into<String>) -> Denied {
        Denied {
            error_type,
            message: message.into(),
        }
    }

    fn incomplete(message: impl Into<String>) -> Denied {
        Denied::new("IncompleteSignatureException", message)
    }

    fn invalid(message: impl Into<String>) -> Denied {
        Denied::new("InvalidSignatureException", message)
    }

    /// AWS's answer: 403, `{"message": …}` and `x-amzn-ErrorType`.
    pub fn response(&self) -> Response<Body> {
        let body = serde_json::json!({ "message": self.message });
        let mut r = respond(403, "application/json", body.to_string());
        r.headers_mut().insert(
            "x-amzn-errortype",
            self.error_type.parse().expect("error types are ASCII"),
        );
        r
    }
}

/// A request's `Authorization` header, parsed and checked against the credentials and the
/// clock; `verify` then checks the signature over the request.
#[derive(Debug)]
pub struct Authorization<'c> {
    secret: &'c str,
    amz_date: String,
    date: String,
    region: String,
    signed_headers: Vec<String>,
    signature: String,
}

/// Checks what can be checked before the body arrives: an `Authorization` header of the
/// right shape, a known access key, a signing date within `CLOCK_WINDOW` of `now`.
pub fn authorize<'c>(
    credentials: &'c Credentials,
    headers: &HeaderMap,
    now: SystemTime,
) -> Result<Authorization<'c>, Denied> {
    let Some(header) = headers.get(hyper::header::AUTHORIZATION) else {
        return Err(Denied::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let header = header
        .to_str()
        .map_err(|_| Denied::incomplete("the Authorization header is not ASCII"))?;
    let (algorithm, params) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(Denied::incomplete(format!(
            "Authorization header uses algorithm '{algorithm}'; expected '{ALGORITHM}'"
        )));
    }
    let mut fields = HashMap::new();
    for part in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        fields.insert(k.trim(), v.trim());
    }
    let missing: Vec<String> = ["Credential", "SignedHeaders", "Signature"]
        .iter()
        .filter(|k| fields.get(*k).is_none_or(|v| v.is_empty()))
        .map(|k| format!("Authorization header requires '{k}' parameter."))
        .collect();
    if !missing.is_empty() {
        return Err(Denied::incomplete(missing.join(" ")));
    }
    let Some(amz_date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return Err(Denied::incomplete(
            "Authorization header requires existence of a 'X-Amz-Date' header.",
        ));
    };
    let scope_parts: Vec<&str> = fields["Credential"].split('/').collect();
    let [id, date, region, service, terminator] = scope_parts[..] else {
        return Err(Denied::incomplete(format!(
            "Credential '{}' is not ACCESS_KEY_ID/YYYYMMDD/REGION/{SERVICE}/aws4_request",
            fields["Credential"]
        )));
    };
    let Some(secret) = credentials.keys.get(id) else {
        return Err(Denied::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    };
    if service != SERVICE {
        return Err(Denied::invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }
    if terminator != "aws4_request" {
        return Err(Denied::invalid(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        Denied::incomplete(format!(
            "X-Amz-Date is '{amz_date}'; expected ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'"
        ))
    })?;
    if !amz_date.starts_with(date) || date.len() != 8 {
        return Err(Denied::invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
            &amz_date[..8]
        )));
    }
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let window = CLOCK_WINDOW.as_secs();
    if signed_at + window < now {
        return Err(Denied::invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now.saturating_sub(window)),
            format_amz_date(now)
        )));
    }
    if signed_at > now + window {
        return Err(Denied::invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + window),
            format_amz_date(now)
        )));
    }
    let mut signed_headers: Vec<String> = fields["SignedHeaders"]
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    signed_headers.sort();
    signed_headers.dedup();
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(Denied::incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(Authorization {
        secret,
        amz_date: amz_date.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        signed_headers,
        signature: fields["Signature"].to_owned(),
    })
}

impl Authorization<'_> {
    /// Checks the signature over the request that arrived: `method`, `uri`, `headers`, `body`.
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), Denied> {
        let canonical = canonical_request(method, uri, headers, &self.signed_headers, body)?;
        let expected = signature(
            self.secret,
            &self.amz_date,
            [&self.date, &self.region, SERVICE],
            &canonical,
        );
        if constant_time_eq::constant_time_eq(expected.as_bytes(), self.signature.as_bytes()) {
            Ok(())
        } else {
            Err(Denied::invalid(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ))
        }
    }
}

/// The canonical request SigV4 signs: method, URI path, query, the signed headers, and
/// the payload's SHA-256.
fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &[String],
    body: &[u8],
) -> Result<String, Denied> {
    let payload_hash = hex::encode(Sha256::digest(body));
    if let Some(claimed) = headers.get("x-amz-content-sha256")
        && claimed.as_bytes() != payload_hash.as_bytes()
    {
        return Err(Denied::invalid(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = if name == "host" && !headers.contains_key("host") {
            uri.authority().map(|a| a.to_string()).into_iter().collect()
        } else {
            headers
                .get_all(name.as_str())
                .iter()
                .map(|v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
        if values.is_empty() {
            return Err(Denied::invalid(format!(
                "SignedHeaders names '{name}' but the request has no such header."
            )));
        }
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    Ok(format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        canonical_uri(uri.path()),
        canonical_query(uri.query().unwrap_or("")),
        signed_headers.join(";"),
    ))
}

/// The path with dot segments and empty segments removed, each byte outside the
/// unreserved set and `/` percent-encoded (so a `%` already in the path becomes `%25`,
/// the double encoding every service but S3 signs).
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for s in path.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    encode(&out, true)
}

/// The query's parameters decoded, re-encoded strictly and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k), false), encode(&decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes every byte but the unreserved ones (and `/` when `keep_slash`).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes `s` (a `+` stays a `+`).
pub(super) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The signature of `canonical` (a canonical request) made at `amz_date` with `secret`,
/// scoped to `[date, region, service]`: the HMAC of the string to sign, in hex.
fn signature(
    secret: &str,
    amz_date: &str,
    [date, region, service]: [&str; 3],
    canonical: &str,
) -> String {
    let to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    hex::encode(hmac(
        &signing_key(secret, date, region, service),
        to_sign.as_bytes(),
    ))
}

/// The signing key: `secret` HMAC-chained through date, region, service, `aws4_request`.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Seconds since the epoch of `YYYYMMDD'T'HHMMSS'Z'`.
fn parse_amz_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, sec) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// `YYYYMMDD'T'HHMMSS'Z'` of seconds since the epoch.
fn format_amz_date(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 of a date (Howard Hinnant's days_from_civil), for years ≥ 1970.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y.saturating_sub(1) } else { y };
    let era = y / 400;
    let yoe = y % 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

#[cfg(test)]
mod tests;
