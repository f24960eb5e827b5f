//! Parameters: named configuration values filled in per environment, read by ions with
//! `get-params` (the reference's Parameter Store convention). Providers: the local store
//! (the embedded default, an EDN file) and AWS SSM; a per-node cache in front.
//!
//! Values are secrets until proven otherwise: nothing here logs or formats a value, and
//! errors name paths, never values. Knows nothing of wasmtime or HTTP.

mod cache;
mod local;
mod ssm;

pub use cache::{CachedParams, DEFAULT_TTL};
pub use local::LocalStore;
pub use ssm::SsmStore;

use std::future::Future;
use std::pin::Pin;

/// One parameter, as a provider returns it.
#[derive(Clone, PartialEq, Eq)]
pub struct Param {
    /// The full name, e.g. `/datomic-shared/prod/app/db-name`.
    pub name: String,
    /// The value, decrypted.
    pub value: String,
    /// Whether it is stored encrypted (`SecureString`).
    pub secure: bool,
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Param")
            .field("name", &self.name)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// Why a provider could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamsError(pub String);

impl std::fmt::Display for ParamsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParamsError {}

/// The future a provider answers with.
pub type ParamsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Param>, ParamsError>> + Send + 'a>>;

/// Where parameters come from.
pub trait ParamsProvider: Send + Sync {
    /// Every parameter under `path`, recursively; none (not an error) when nothing is there.
    fn get_by_path<'a>(&'a self, path: &'a str) -> ParamsFuture<'a>;
    /// What this provider is, for logs: "local store /root/.ion/params.edn".
    fn describe(&self) -> String;
}

/// Checks a parameter path: starts with `/`, no empty or whitespace segments.
pub fn check_path(path: &str) -> Result<(), ParamsError> {
    let ok = path.starts_with('/')
        && !path.contains(char::is_whitespace)
        && path
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .all(|seg| !seg.is_empty());
    if ok || path == "/" {
        Ok(())
    } else {
        Err(ParamsError(format!(
            "parameter path {path:?} is not valid; expected /segment/segment/... with no empty or blank segments"
        )))
    }
}

/// The names ions see: each parameter's name relative to `path` (for a direct child, its
/// last segment, as the reference's deploy-monitor uses it).
pub fn relative_names(path: &str, params: &[Param]) -> Vec<(String, String)> {
    let prefix = if path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    };
    params
        .iter()
        .filter_map(|p| {
            p.name
                .strip_prefix(&prefix)
                .map(|rel| (rel.to_owned(), p.value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        for good in ["/", "/a", "/a/", "/datomic-shared/prod/app/"] {
            assert!(check_path(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "/a//b", "/a b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_relative_to_the_path() {
        let p = |n: &str| Param {
            name: n.into(),
            value: "v".into(),
            secure: false,
        };
        let got = relative_names("/a/b", &[p("/a/b/k"), p("/a/b/c/d"), p("/a/bc/x")]);
        assert_eq!(
            got,
            [
                ("k".to_owned(), "v".to_owned()),
                ("c/d".to_owned(), "v".to_owned())
            ]
        );
    }

    #[test]
    fn debug_never_shows_a_value() {
        let p = Param {
            name: "/a/token".into(),
            value: "s3cret".into(),
            secure: true,
        };
        assert!(!format!("{p:?}").contains("s3cret"));
    }
}
