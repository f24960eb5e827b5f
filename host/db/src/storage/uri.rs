//! Storage URIs: `file:DIR`, `postgres://…` (or `postgresql://…`), `s3://BUCKET/PREFIX`.
//! Parsing only: a URI that names none of them, or names one badly, is refused with
//! what was expected.

use std::path::PathBuf;

/// A parsed storage URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUri {
    /// Databases in folders under this directory.
    File(PathBuf),
    /// A PostgreSQL connection string, as libpq and tokio-postgres read it.
    Postgres(String),
    /// An S3 bucket and key prefix (without a trailing `/`; may be empty).
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix.
        prefix: String,
    },
}

const EXPECTED: &str =
    "expected file:DIR, postgres://USER@HOST:PORT/DATABASE or s3://BUCKET/PREFIX";

/// Why a storage URI was refused: the text and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("storage URI {text:?}: {problem}; {EXPECTED}")]
pub struct UriError {
    /// The text, trimmed.
    pub text: String,
    /// What is wrong with it.
    #[source]
    pub problem: UriProblem,
}

/// What is wrong with a storage URI.
#[derive(Debug, thiserror::Error)]
pub enum UriProblem {
    /// `file:` with nothing after it.
    #[error("names no directory")]
    NoDirectory,
    /// A `postgres://` text tokio-postgres does not read.
    #[error("not a PostgreSQL connection string ({0})")]
    NotPostgres(#[source] tokio_postgres::Error),
    /// `s3://` with no bucket.
    #[error("names no bucket")]
    NoBucket,
    /// None of the three schemes.
    #[error("unknown scheme")]
    UnknownScheme,
}

impl StorageUri {
    /// Parses `text`; the error names the text and what was expected.
    pub fn parse(text: &str) -> Result<StorageUri, UriError> {
        let text = text.trim();
        let bad = |problem: UriProblem| UriError {
            text: text.to_owned(),
            problem,
        };
        if let Some(rest) = text.strip_prefix("file:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(bad(UriProblem::NoDirectory));
            }
            return Ok(StorageUri::File(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return text
                .parse::<tokio_postgres::Config>()
                .map(|_| StorageUri::Postgres(text.to_owned()))
                .map_err(|e| bad(UriProblem::NotPostgres(e)));
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad(UriProblem::NoBucket));
            }
            return Ok(StorageUri::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_end_matches('/').to_owned(),
            });
        }
        Err(bad(UriProblem::UnknownScheme))
    }

    /// The URI as errors and logs show it: a PostgreSQL password is left out.
    pub fn describe(&self) -> String {
        match self {
            StorageUri::File(dir) => format!("file:{}", dir.display()),
            StorageUri::Postgres(text) => match text.parse::<tokio_postgres::Config>() {
                Ok(c) => {
                    let host = c
                        .get_hosts()
                        .first()
                        .map(|h| match h {
                            tokio_postgres::config::Host::Tcp(h) => h.clone(),
                            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                        })
                        .unwrap_or_default();
                    let port = c.get_ports().first().copied().unwrap_or(5432);
                    format!(
                        "postgres://{}@{host}:{port}/{}",
                        c.get_user().unwrap_or(""),
                        c.get_dbname().unwrap_or("")
                    )
                }
                Err(_) => "postgres://…".into(),
            },
            StorageUri::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scheme_and_refuses_the_rest_clearly() {
        assert_eq!(
            StorageUri::parse("file:/var/ion/db").ok(),
            Some(StorageUri::File("/var/ion/db".into()))
        );
        assert_eq!(
            StorageUri::parse("file:///var/ion/db").ok(),
            Some(StorageUri::File("/var/ion/db".into()))
        );
        assert_eq!(
            StorageUri::parse("s3://bucket/a/b/").ok(),
            Some(StorageUri::S3 {
                bucket: "bucket".into(),
                prefix: "a/b".into()
            })
        );
        let pg = StorageUri::parse("postgres://ion:secret@127.0.0.1:5433/ion").unwrap();
        assert_eq!(pg.describe(), "postgres://ion@127.0.0.1:5433/ion");
        for (text, why) in [
            ("file:", "names no directory"),
            ("s3:///x", "names no bucket"),
            ("mysql://x", "unknown scheme"),
            ("/var/db", "unknown scheme"),
        ] {
            let e = StorageUri::parse(text).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains("expected file:DIR"), "{e}");
        }
    }
}
