//! A node's on-disk caches (compiled code, snapshots, compiled functions) stay within
//! `ION_CACHE_MAX_BYTES`, and calls keep working when entries are removed.

use crate::fixtures::scratch;
use crate::support::*;
use std::path::Path;

/// Bytes of every file under `dir`.
fn bytes_under(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => bytes_under(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_nodes_caches_stay_within_their_budget_and_calls_still_work() {
    let home = scratch("cache-budget").join("home");
    let home = home.to_str().unwrap();
    let call = |budget: &str, input: &str| {
        let out = invoke_with(
            "examples/starter",
            &["echo", input],
            &[
                ("ION_HOME", home),
                ("ION_CACHE_MAX_BYTES", budget),
                ("ION_LOG", "info"),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), input);
        stderr(&out)
    };
    let cache = Path::new(home).join("cache");
    // A roomy budget keeps what the call compiled.
    let log = call("64000000", "\"roomy\"");
    assert!(!log.contains("removed the least recently used"), "{log}");
    assert!(bytes_under(&cache) > 1000);
    // A tiny one: the next fresh compile trims the caches, and the call still works.
    std::fs::remove_dir_all(cache.join("compiled")).unwrap();
    let log = call("1000", "\"tiny\"");
    assert!(
        log.contains("removed the least recently used cache entries"),
        "{log}"
    );
    let held = bytes_under(&cache);
    assert!(
        held <= 1000,
        "the caches hold {held} bytes, over a budget of 1000"
    );
    call("1000", "\"again\"");
    let _ = std::fs::remove_dir_all(Path::new(home).parent().unwrap());
}
