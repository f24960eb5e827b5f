//! Dependency conflicts: the interfaces a component imports that this host does not
//! provide, found at push time rather than as a failed load at deploy time. Two checks:
//! each import against the interface packages the host provides (the table below, the
//! versions this build of wasmtime-wasi, wasmtime-wasi-http and `wit/` define), and the
//! node's own linker on the compiled component, which has the last word. The host's
//! side wins: a conflict says which version the host has, so the app can be built and
//! tested against it.

use crate::runtime::Runtime;
use anyhow::{Result, anyhow};

/// The interface packages the host provides, with the version it provides them at.
pub const HOST_PACKAGES: &[(&str, &str)] = &[
    ("wasi:cli", "0.2.12"),
    ("wasi:clocks", "0.2.12"),
    ("wasi:filesystem", "0.2.12"),
    ("wasi:http", "0.2.12"),
    ("wasi:io", "0.2.12"),
    ("wasi:random", "0.2.12"),
    ("wasi:sockets", "0.2.12"),
    ("ion:host", "0.1.0"),
];

/// One import the host cannot satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The import as the component names it (`wasi:http/types@0.3.0`).
    pub import: String,
    /// The interface without its version (`wasi:http/types`).
    pub interface: String,
    /// The version the component wants, if it names one.
    pub wanted: Option<String>,
    /// The same interface as the host provides it, if it does.
    pub host: Option<String>,
    /// What the linker said, when it refused the component.
    pub detail: Option<String>,
}

/// The imports of `bytes` (listed in `imports`) that the host cannot satisfy. Compiles
/// the component (into the compiled-code cache); an error when it does not compile.
pub fn check(runtime: &Runtime, bytes: &[u8], imports: &[String]) -> Result<Vec<Conflict>> {
    let mut out: Vec<Conflict> = imports.iter().filter_map(|i| by_table(i)).collect();
    let component = crate::runtime::compiled::compile(&runtime.inner.engine, bytes)
        .map_err(|e| anyhow!("the component does not compile: {e:#}"))?;
    if let Err(e) = runtime.inner.linker.instantiate_pre(&component) {
        let detail = format!("{e:#}");
        let named = detail.split('`').nth(1).unwrap_or_default().to_owned();
        match out.iter_mut().find(|c| c.import == named) {
            Some(c) => c.detail = Some(detail),
            None => {
                let mut c = by_table(&named).unwrap_or_else(|| conflict(&named, None));
                c.detail = Some(detail);
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// The conflict the package table finds for `import`, if any.
fn by_table(import: &str) -> Option<Conflict> {
    let (interface, wanted) = split(import);
    let host = host_version(import);
    if let (Some(have), Some(want)) = (host, wanted)
        && same_track(have, want)
    {
        return None;
    }
    Some(conflict(import, host.map(|v| format!("{interface}@{v}"))))
}

fn conflict(import: &str, host: Option<String>) -> Conflict {
    let (interface, wanted) = split(import);
    Conflict {
        import: import.to_owned(),
        interface: interface.to_owned(),
        wanted: wanted.map(str::to_owned),
        host,
        detail: None,
    }
}

fn split(import: &str) -> (&str, Option<&str>) {
    match import.rsplit_once('@') {
        Some((i, v)) => (i, Some(v)),
        None => (import, None),
    }
}

/// The version at which the host provides the package of `import`.
fn host_version(import: &str) -> Option<&'static str> {
    let package = import.split('/').next()?;
    HOST_PACKAGES
        .iter()
        .find(|(p, _)| *p == package)
        .map(|(_, v)| *v)
}

/// Whether two semver versions link to each other as wasmtime matches them: the same
/// major version, or for 0.x the same minor.
fn same_track(a: &str, b: &str) -> bool {
    let track = |v: &str| -> (String, String) {
        let mut parts = v.split(['.', '-']);
        let major = parts.next().unwrap_or_default().to_owned();
        let minor = parts.next().unwrap_or_default().to_owned();
        if major == "0" {
            (major, minor)
        } else {
            (major, String::new())
        }
    };
    track(a) == track(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_versions_on_their_semver_track() {
        assert_eq!(by_table("wasi:cli/environment@0.2.3"), None);
        assert_eq!(by_table("ion:host/env@0.1.0"), None);
        let newer = by_table("wasi:http/types@0.3.0").unwrap();
        assert_eq!(newer.host.as_deref(), Some("wasi:http/types@0.2.12"));
        assert_eq!(newer.wanted.as_deref(), Some("0.3.0"));
        let unknown = by_table("acme:billing/ledger@1.2.0").unwrap();
        assert_eq!(unknown.host, None);
    }
}
