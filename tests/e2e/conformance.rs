//! One conformance suite for the starter app in every SDK language: the same cases, run
//! against the Rust, Python and JavaScript starters, each built in the test run and
//! served by a real node over loopback. The cases are the "starter contract" in
//! docs/conformance.md: every ion kind, the Lambda context, env and app info, params,
//! cast, errors of each category, binary bodies, 1 MiB inputs and unicode.
//!
//! A new language's SDK passes by adding its starter to `conformance!` below.

mod cases;
mod subject;

use std::panic::{AssertUnwindSafe, catch_unwind};
use subject::Subject;

macro_rules! conformance {
    ($($test:ident => $app:expr),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                run($app);
            }
        )*
    };
}

conformance! {
    rust_starter => "examples/starter",
    python_starter => "examples/starter-py",
    javascript_starter => "examples/starter-js",
}

/// Runs every case against `app`, then fails once, listing every case that failed.
fn run(app: &str) {
    let subject = Subject::start(app);
    let mut failures = Vec::new();
    for (name, case) in cases::ALL {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| case(&subject))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("- {name}: {message}"));
        }
    }
    let log = tail(&subject.server.log(), 1500).to_owned();
    let home = subject.home.clone();
    drop(subject);
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&home);
    }
    assert!(
        failures.is_empty(),
        "{app} failed {} of {} conformance cases (its home, {}, is kept):\n{}\n--- node log (tail) ---\n{log}",
        failures.len(),
        cases::ALL.len(),
        home.display(),
        failures.join("\n"),
    );
}

fn tail(text: &str, max: usize) -> &str {
    let start = text.len().saturating_sub(max);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[start..]
}
