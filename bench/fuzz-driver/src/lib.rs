//! Fuzz targets: one function per parser that reads untrusted bytes, each panicking only
//! when it finds a bug (a panic in the parser, or a broken promise such as a split that
//! does not cover the component). Used by the stable driver (`src/main.rs`,
//! `scripts/fuzz`), by the cargo-fuzz targets in `fuzz/`, and by the regression test that
//! replays `tests/cases/fuzz/<target>/`. Owns no parsing of its own.

pub mod lambda_api;
pub mod mutate;

use std::path::{Path, PathBuf};

/// Every target, by the name of its corpus folder.
pub const TARGETS: &[&str] = &[
    "edn",
    "ion-config",
    "apigw-event",
    "lambda-api",
    "manifest",
    "split",
];

/// Runs target `name` on `data`; the Lambda API target needs a running node.
pub fn run(name: &str, data: &[u8], node: Option<&lambda_api::Node>) {
    match name {
        "edn" => edn(data),
        "ion-config" => ion_config(data),
        "apigw-event" => apigw_event(data),
        "lambda-api" => {
            if let Err(e) = node.expect("the lambda-api target needs a node").send(data) {
                panic!("{e}");
            }
        }
        "manifest" => manifest(data),
        "split" => split(data),
        other => panic!("no fuzz target {other}; expected one of {TARGETS:?}"),
    }
}

/// The EDN reader: reading never panics, and what it reads prints to text it reads back.
pub fn edn(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = ion_edn::read(text) {
        let printed = ion_edn::print(&value);
        if let Err(e) = ion_edn::read(&printed) {
            panic!("ion_edn::print wrote {printed:?}, which does not read back: {e}");
        }
    }
}

/// `ion-config.edn` validation, and the environment map's parser.
pub fn ion_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = ion_host::config::IonConfig::parse(text, Path::new("fuzz/ion-config.edn")) {
        let _ = config.validate_for_group("fuzz-group");
    }
    let _ = ion_host::config::EnvironmentMap::parse(text, "fuzz env map");
}

/// The API Gateway proxy event parser.
pub fn apigw_event(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ion_apigw::parse_event(text);
    }
}

/// The revision manifest reader: a manifest it reads prints to one it reads back alike.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = ion_host::store::Manifest::from_edn(text, "fuzz manifest") {
        let printed = m.to_edn();
        match ion_host::store::Manifest::from_edn(&printed, "printed manifest") {
            Ok(again) => assert_eq!(again.to_edn(), printed, "a manifest changed on re-reading"),
            Err(e) => panic!("Manifest::to_edn wrote a manifest that does not read back: {e}"),
        }
    }
}

/// The component splitter: its pieces cover every byte, in order, with nothing left over.
pub fn split(data: &[u8]) {
    if let Ok(inspected) = ion_host::store::split::inspect(data) {
        let mut at = 0;
        for piece in &inspected.pieces {
            assert_eq!(
                piece.range.start, at,
                "piece {} does not start where the last ended",
                piece.role
            );
            assert!(
                piece.range.end > piece.range.start || data.is_empty(),
                "empty piece {}",
                piece.role
            );
            at = piece.range.end;
        }
        assert_eq!(at, data.len(), "the pieces do not cover the component");
    }
}

/// The repository root (this crate is `bench/fuzz-driver`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Target `name`'s corpus folder: its seeds and every crash found, kept as regressions.
pub fn corpus_dir(name: &str) -> PathBuf {
    repo().join("tests/cases/fuzz").join(name)
}

/// Every file in target `name`'s corpus, with its path.
pub fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(corpus_dir(name))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
