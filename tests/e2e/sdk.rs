//! The Python and JavaScript SDKs beyond the conformance suite: their own unit tests (EDN,
//! registry, ionize) under their language's test runner, and what the store's parts save
//! between two revisions of an interpreted app.

use crate::fixtures::{copy_dir, edn, host_at, int, ok, scratch};
use crate::support::{app, repo, stderr, stdout, venv_python};
use std::process::Command;

fn run(mut cmd: Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (scripts/setup installs the tools)"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn python_sdk_unit_tests_pass() {
    let mut cmd = Command::new(venv_python());
    cmd.args(["-m", "unittest", "discover", "-s", "sdk/python/tests"])
        .current_dir(repo());
    run(cmd, "the Python SDK's unit tests");
}

#[test]
fn javascript_sdk_unit_tests_pass() {
    let mut cmd = Command::new("node");
    cmd.args(["--test", "test/"])
        .current_dir(repo().join("sdk/js"));
    run(cmd, "the JavaScript SDK's unit tests");
}

/// Pushes a copy of `starter` twice, the second time with one line changed; returns the
/// bytes uploaded by the second push and the component's size, and checks the edited
/// revision answers with the edit.
fn one_line_change(starter: &str, file: &str) -> (i64, i64) {
    let built = app(starter);
    let dir = scratch(&format!("one-line-{}", starter.replace('/', "-")));
    let (store, home, copy) = (dir.join("store"), dir.join("home"), dir.join("app"));
    copy_dir(&built, &copy);
    if built.join("node_modules").exists() {
        std::os::unix::fs::symlink(built.join("node_modules"), copy.join("node_modules")).unwrap();
    }
    let push = |uname: &str| {
        edn(&ok(host_at(&home)
            .args(["push", "--app"])
            .arg(&copy)
            .args(["--uname", uname, "--store"])
            .arg(&store)
            .output()
            .unwrap()))
    };
    push("v1");
    let path = copy.join(file);
    let source = std::fs::read_to_string(&path).unwrap();
    assert!(source.contains("Hello from ion.starter"), "{file}");
    std::fs::write(
        &path,
        source.replace(
            "Hello from ion.starter",
            "Hello from the edited ion.starter",
        ),
    )
    .unwrap();
    let second = push("v2");
    let out = ok(host_at(&home)
        .args(["invoke", "--no-build", "--app"])
        .arg(&copy)
        .args(["ion.starter/web", "{:request-method :get :uri \"/\"}"])
        .output()
        .unwrap());
    assert!(
        stdout(&out).contains("Hello from the edited ion.starter"),
        "{}",
        stdout(&out)
    );
    let measured = (
        int(&second, &["uploaded", "bytes"]),
        int(&second, &["uploaded", "component-bytes"]),
    );
    let _ = std::fs::remove_dir_all(&dir);
    measured
}

#[test]
fn a_one_line_change_to_the_python_starter_uploads_under_one_percent() {
    let (uploaded, of) = one_line_change("examples/starter-py", "app.py");
    eprintln!(
        "python one-line change: uploaded {uploaded} of {of} bytes ({:.3}%)",
        uploaded as f64 * 100.0 / of as f64
    );
    assert!(
        uploaded * 100 < of,
        "a one-line change uploaded {uploaded} of {of} bytes"
    );
}

#[test]
fn a_one_line_change_to_the_javascript_starter_is_measured() {
    let (uploaded, of) = one_line_change("examples/starter-js", "app.js");
    eprintln!(
        "javascript one-line change: uploaded {uploaded} of {of} bytes ({:.1}%)",
        uploaded as f64 * 100.0 / of as f64
    );
    assert!(uploaded <= of);
}

#[test]
fn a_python_syntax_error_names_its_file_and_line() {
    let dir = scratch("py-syntax-error");
    copy_dir(&app("examples/starter-py"), &dir);
    std::fs::write(dir.join("broken.py"), "x = 1\ndef oops(:\n    pass\n").unwrap();
    let source = std::fs::read_to_string(dir.join("app.py")).unwrap();
    std::fs::write(dir.join("app.py"), format!("import broken\n{source}")).unwrap();
    let out = host_at(&dir.join("home"))
        .args(["invoke", "--app"])
        .arg(&dir)
        .args(["echo", "{}"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a broken app loaded");
    let err = stderr(&out);
    assert!(
        err.contains("broken.py") && err.contains("line 2"),
        "the error does not name the file and line:\n{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hardening round 2, item 10: when the JavaScript SDK's own build tools are missing (its
/// install.sh never ran), `host build` says exactly that, naming the SDK's folder, rather
/// than blaming the app's package.json.
#[test]
fn a_javascript_build_without_the_sdks_tools_names_the_sdk() {
    let dir = scratch("js-sdk-tools");
    let sdk = dir.join("sdk-js");
    copy_dir(&repo().join("sdk/js"), &sdk); // without node_modules
    std::fs::remove_file(sdk.join("install.sh")).unwrap();
    let app = dir.join("app");
    copy_dir(&repo().join("examples/starter-js"), &app);
    std::fs::create_dir_all(app.join("node_modules/@ion-host")).unwrap();
    std::os::unix::fs::symlink(&sdk, app.join("node_modules/@ion-host/sdk")).unwrap();
    let out = host_at(&dir.join("home"))
        .args(["build", "--app"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let sdk = std::fs::canonicalize(&sdk).unwrap();
    let expected = format!(
        "the JavaScript SDK at {} has not installed its build tools (esbuild is in no node_modules it can see); run `npm install` in {}",
        sdk.display(),
        sdk.display()
    );
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    assert!(!stderr(&out).contains("must depend on"), "{}", stderr(&out));
}
