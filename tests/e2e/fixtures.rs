//! What the store and deploy tests share: scratch folders, copies of the starter app
//! under package names of their own, `host` with its own ION_HOME, and reading the EDN
//! maps the commands print.

use crate::support::*;
use ion_edn::Edn;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ion-store-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// A copy of the starter under its own package name (so builds sharing a target dir
/// never mix), its SDK dependency pointing at `sdk`.
pub fn starter_copy(to: &Path, package: &str, sdk: &Path) {
    copy_dir(&repo().join("examples/starter"), to);
    let manifest = to.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("name = \"starter\"", &format!("name = \"{package}\""))
        .replace(
            "path = \"../../sdk/rust\"",
            &format!("path = {:?}", sdk.display().to_string()),
        );
    std::fs::write(manifest, text).unwrap();
}

/// `host` with its own ION_HOME (so its part and compiled-code caches start empty).
pub fn host_at(home: &Path) -> Command {
    let mut cmd = host();
    cmd.env("ION_HOME", home);
    cmd
}

pub fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

pub fn edn(out: &Output) -> Edn<'static> {
    ion_edn::read(stdout(out).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

pub fn int(doc: &Edn<'_>, path: &[&str]) -> i64 {
    let mut at = doc;
    for key in path {
        at = ion_edn::get(at, key).unwrap_or_else(|| panic!("no {key} in {}", ion_edn::print(doc)));
    }
    match at {
        Edn::Int(n) => *n,
        v => panic!("{path:?} is {}", ion_edn::print(v)),
    }
}

pub fn text(doc: &Edn<'_>, key: &str) -> String {
    match ion_edn::get(doc, key) {
        Some(Edn::Str(s)) => s.to_string(),
        v => panic!(":{key} is {v:?} in {}", ion_edn::print(doc)),
    }
}

pub fn git(dir: &Path, args: &[&str]) {
    ok(Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.email=test@example.com", "-c", "user.name=Test"])
        .args(args)
        .output()
        .unwrap());
}
