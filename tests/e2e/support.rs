//! Test support: builds the guest apps once per test run with `host build`, and runs the
//! `host` binary with a clean environment.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

/// The apps the tests use, built once.
pub const APPS: [&str; 5] = [
    "examples/starter",
    "examples/starter-py",
    "examples/starter-js",
    "tests/guests/hostile",
    "tests/guests/wasi-http",
];

/// The repository root.
pub fn repo() -> PathBuf {
    // Cargo sets CARGO_MANIFEST_DIR when it runs a test; prefer that to the build-time
    // value, which is stale when a shared target dir was built from another checkout.
    PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .parent()
    .expect("host/ has a parent")
    .to_owned()
}

/// Where guest builds go: beside the host's own build, in a target dir of their own so a
/// guest build never waits on the lock of the test build that runs it.
fn guest_target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    base.join("guests")
}

/// The Python of the test virtualenv scripts/setup makes (boto3, moto).
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("ION_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/ion-host/venv")
        });
    venv.join("bin/python")
}

/// The `host` command with no ION_/DATOMIC_ variables inherited.
pub fn host() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_host"));
    for var in [
        "ION_ENV_MAP",
        "DATOMIC_ENV_MAP",
        "ION_APP_INFO_MAP",
        "DATOMIC_APP_INFO_MAP",
        "ION_LOG",
        "ION_LOG_FORMAT",
        "ION_LAMBDA_CREDENTIALS",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("CARGO_TARGET_DIR", guest_target_dir());
    // The default parameter store lives under ION_HOME: keep tests out of ~/.ion.
    cmd.env(
        "ION_HOME",
        std::env::temp_dir().join(format!("ion-home-{}", std::process::id())),
    );
    cmd
}

/// The folder of app `name` (a path in `APPS`), built once per test run (on first use, so
/// a test waits only for the apps it uses).
pub fn app(name: &str) -> PathBuf {
    static BUILT: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let app = *APPS
        .iter()
        .find(|a| **a == name)
        .unwrap_or_else(|| panic!("{name} is not one of the test apps"));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.contains(app) {
        let out = host()
            .args(["build", "--app"])
            .arg(repo().join(app))
            .output()
            .expect("running host build");
        assert!(
            out.status.success(),
            "host build --app {app} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            printed.trim().ends_with("target/ion/app.wasm"),
            "host build printed {printed}"
        );
        built.insert(app);
    }
    repo().join(name)
}

/// Runs `host invoke --app APP --no-build ARGS...`.
pub fn invoke(app_name: &str, args: &[&str]) -> Output {
    invoke_with(app_name, args, &[])
}

/// Like `invoke`, with extra environment variables.
pub fn invoke_with(app_name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = host();
    cmd.args(["invoke", "--no-build", "--app"])
        .arg(app(app_name))
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running host invoke")
}

/// Stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The last line of stderr: where `host invoke` prints an ion's error map.
pub fn error_line(out: &Output) -> String {
    stderr(out).lines().last().unwrap_or_default().to_owned()
}
