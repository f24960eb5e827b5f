//! Compute groups and deploys: three `host serve --group` nodes over one store (a local
//! directory, and moto's S3), real revisions of the starter pushed in the test, a load
//! generator on every node while deploys run, failing revisions, a node dying mid-deploy
//! (rollback), and a node restarted after a deploy.

use crate::fixtures::*;
use crate::moto::{AWS_ENV, Moto};
use crate::server::{Server, TOKEN, agent};
use crate::support::*;
use ion_edn::Edn;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The revisions a scenario deploys, pushed to `store` under unames.
pub(crate) struct Revisions;

impl Revisions {
    /// Pushes A and B (the starter answering "Hello from A" / "… B") and, with `bad`,
    /// `missing-fn` (its config names a function the component lacks) and `init-trap`
    /// (its init panics).
    /// `package` names the copy's crate: builds of two copies under one name in the
    /// shared target dir would overwrite each other's component.
    pub(crate) fn push(dir: &Path, package: &str, store: &str, env: &[(&str, &str)], bad: bool) {
        let app = dir.join("app");
        starter_copy(&app, package, &repo().join("sdk/rust"));
        let lib = app.join("src/lib.rs");
        let source = std::fs::read_to_string(&lib).unwrap();
        let push = |app: &Path, uname: &str, extra: &[&str]| {
            let mut cmd = host_at(&dir.join("pusher"));
            cmd.envs(env.iter().copied())
                .args(["push", "--uname", uname, "--store", store, "--app"])
                .arg(app)
                .args(extra);
            ok(cmd.output().unwrap());
        };
        for version in ["A", "B"] {
            let text = source.replace("Hello from ion.starter", &format!("Hello from {version}"));
            std::fs::write(&lib, text).unwrap();
            push(&app, version, &[]);
        }
        if !bad {
            return;
        }
        let missing = dir.join("missing-fn");
        copy_dir(&app, &missing);
        std::fs::create_dir_all(missing.join("target/ion")).unwrap();
        std::fs::copy(
            app.join("target/ion/app.wasm"),
            missing.join("target/ion/app.wasm"),
        )
        .unwrap();
        let config = std::fs::read_to_string(app.join("ion-config.edn"))
            .unwrap()
            .replacen(
                ":lambdas {",
                ":lambdas {:missing {:fn ion.starter/missing}\n ",
                1,
            );
        std::fs::write(missing.join("ion-config.edn"), config).unwrap();
        push(&missing, "missing-fn", &["--no-build"]);
        let trap = source.replacen(
            "    /// Echos input\n",
            "    #[ion::init]\n    pub fn init() -> Result<(), Error> {\n        panic!(\"cannot start\")\n    }\n\n    /// Echos input\n",
            1,
        );
        std::fs::write(&lib, trap).unwrap();
        push(&app, "init-trap", &[]);
    }
}

/// `host` for deploys: the admin token, the store's environment.
fn deployer(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = host_at(&dir.join("deployer"));
    cmd.env("ION_ADMIN_TOKEN", TOKEN).envs(env.iter().copied());
    cmd
}

/// `host deploy --wait`: the final status map and the exit code.
pub(crate) fn deploy(
    dir: &Path,
    store: &str,
    env: &[(&str, &str)],
    uname: &str,
) -> (Edn<'static>, Option<i32>) {
    let out = deployer(dir, env)
        .args([
            "deploy", "--group", "g", "--uname", uname, "--wait", "--store", store,
        ])
        .output()
        .unwrap();
    let last = stdout(&out).lines().last().unwrap_or_default().to_owned();
    let doc =
        ion_edn::read(&last).unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    (doc, out.status.code())
}

/// `host deploy` in the background, then `host deploy-status --wait` on what it printed.
fn deploy_in_background(
    dir: &Path,
    store: &str,
    env: &[(&str, &str)],
    uname: &str,
) -> (Edn<'static>, Option<i32>) {
    let started = ok(deployer(dir, env)
        .args(["deploy", "--group", "g", "--uname", uname, "--store", store])
        .output()
        .unwrap());
    let started = edn(&started);
    let arn = text(&started, "execution-arn");
    assert!(
        text(&started, "status-command")
            .starts_with(&format!("host deploy-status --execution-arn {arn}"))
    );
    let out = deployer(dir, env)
        .args([
            "deploy-status",
            "--execution-arn",
            &arn,
            "--wait",
            "--store",
            store,
        ])
        .output()
        .unwrap();
    (edn(&out), out.status.code())
}

pub(crate) fn status(doc: &Edn<'_>) -> String {
    text(doc, "deploy-status")
}

fn get(url: &str) -> (u16, String) {
    let mut r = agent().get(format!("{url}/")).call().unwrap();
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// Requests to every node, as fast as they go, until stopped; counts what was not
/// a 200 with one of the expected bodies.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<Vec<String>>>,
}

impl Load {
    fn start(urls: Vec<String>) -> Load {
        let (stop, ok, failed) = (Arc::default(), Arc::default(), Arc::default());
        let threads = urls
            .into_iter()
            .map(|url| {
                let (stop, ok, failed): (Arc<AtomicBool>, Arc<AtomicU64>, Arc<AtomicU64>) =
                    (Arc::clone(&stop), Arc::clone(&ok), Arc::clone(&failed));
                std::thread::spawn(move || {
                    let mut errors = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let (code, body) = get(&url);
                        if code == 200 && body.starts_with("Hello from ") {
                            ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failed.fetch_add(1, Ordering::Relaxed);
                            errors.push(format!("{url}: {code} {body}"));
                        }
                    }
                    errors
                })
            })
            .collect();
        Load {
            stop,
            ok,
            failed,
            threads,
        }
    }

    /// Stops and returns (requests that succeeded, what failed).
    fn stop(self) -> (u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let errors: Vec<String> = self
            .threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(self.failed.load(Ordering::Relaxed) as usize, errors.len());
        (self.ok.load(Ordering::Relaxed), errors)
    }
}

fn serving(nodes: &[Server], expected: &str) {
    for n in nodes {
        assert_eq!(
            get(&n.http),
            (200, format!("Hello from {expected}")),
            "node {}",
            n.node
        );
    }
}

/// The revision each node of group `g` shows in its record, as `host group show` reads
/// them.
fn node_revisions(dir: &Path, store: &str, env: &[(&str, &str)]) -> Vec<String> {
    let out = ok(deployer(dir, env)
        .args(["group", "show", "g", "--store", store])
        .output()
        .unwrap());
    let shown = ion_edn::read(&stdout(&out)).unwrap();
    let Some(Edn::Vector(nodes)) = ion_edn::get(&shown, "nodes") else {
        panic!("no :nodes in {}", stdout(&out))
    };
    nodes
        .iter()
        .map(|n| ion_edn::print(ion_edn::get(n, "revision").unwrap()))
        .collect()
}

/// Deploys B over A on every node while requests run: none fails.
fn rolling_deploy(dir: &Path, store: &str, env: &[(&str, &str)], nodes: &[Server]) {
    let (a, code) = deploy(dir, store, env, "A");
    assert_eq!(
        (status(&a), code),
        ("SUCCEEDED".to_owned(), Some(0)),
        "{}",
        ion_edn::print(&a)
    );
    serving(nodes, "A");
    // Hardening round 2, item 9: once a deploy has succeeded, every node's record shows
    // its revision (a node's record changes when it swaps, not at its next heartbeat).
    let on_a = node_revisions(dir, store, env);
    assert_eq!(on_a.len(), nodes.len());
    assert!(on_a.iter().all(|r| r == &on_a[0] && r != "nil"), "{on_a:?}");
    let load = Load::start(nodes.iter().map(|n| n.http.clone()).collect());
    let (b, code) = deploy_in_background(dir, store, env, "B");
    let (requests, errors) = load.stop();
    assert_eq!(
        (status(&b), code),
        ("SUCCEEDED".to_owned(), Some(0)),
        "{}",
        ion_edn::print(&b)
    );
    assert!(
        errors.is_empty(),
        "{} failed requests during the deploy: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(requests > 0);
    eprintln!(
        "deploy B: {requests} requests during it, none failed; {}",
        ion_edn::print(ion_edn::get(&b, "nodes").unwrap())
    );
    let on_b = node_revisions(dir, store, env);
    assert!(
        on_b.iter().all(|r| r == &on_b[0] && r != &on_a[0]),
        "{on_a:?} then {on_b:?}"
    );
    serving(nodes, "B");
    let Some(Edn::Vector(steps)) = ion_edn::get(&b, "nodes") else {
        panic!()
    };
    assert_eq!(steps.len(), nodes.len());
    for step in steps {
        assert_eq!(text(step, "status"), "SUCCEEDED");
        for phase in ["fetch", "compile", "validate", "databases", "swap", "total"] {
            int(step, &["timings", &format!("{phase}-ms")]);
        }
    }
}

pub(crate) fn create_group(dir: &Path, store: &str, env: &[(&str, &str)]) {
    create_group_with(dir, store, env, &[]);
}

/// Creates group `g` on `store`, with `extra` arguments to `host group create`.
pub(crate) fn create_group_with(dir: &Path, store: &str, env: &[(&str, &str)], extra: &[&str]) {
    ok(deployer(dir, env)
        .args([
            "group",
            "create",
            "g",
            "--env",
            "{:env :test}",
            "--store",
            store,
        ])
        .args(extra)
        .output()
        .unwrap());
}

#[test]
fn a_group_deploys_without_failing_a_request_and_rolls_back_what_fails() {
    let dir = scratch("deploy-local");
    let store = dir.join("store").display().to_string();
    Revisions::push(&dir, "starter-deploy-local", &store, &[], true);
    create_group(&dir, &store, &[]);
    let mut nodes: Vec<Server> = (0..3)
        .map(|_| Server::group_node("g", &store, &[]))
        .collect();
    rolling_deploy(&dir, &store, &[], &nodes);

    // Revisions that cannot serve: FAILED, and every node goes on serving B.
    let load = Load::start(nodes.iter().map(|n| n.http.clone()).collect());
    let (missing, code) = deploy(&dir, &store, &[], "missing-fn");
    let (trap, trap_code) = deploy(&dir, &store, &[], "init-trap");
    let (_, errors) = load.stop();
    assert!(
        errors.is_empty(),
        "failed requests: {:?}",
        &errors[..errors.len().min(5)]
    );
    assert_eq!((status(&missing), code), ("FAILED".to_owned(), Some(1)));
    assert!(
        text(&missing, "error").contains("ion.starter/missing"),
        "{}",
        ion_edn::print(&missing)
    );
    assert_eq!((status(&trap), trap_code), ("FAILED".to_owned(), Some(1)));
    assert!(
        text(&trap, "error").contains("cannot start"),
        "{}",
        ion_edn::print(&trap)
    );
    serving(&nodes, "B");
    // The op-map form reads the same record.
    let op = format!(
        "{{:op :deploy-status :execution-arn {} :store {}}}",
        ion_edn::quote(&text(&trap, "execution-arn")),
        ion_edn::quote(&store)
    );
    let out = deployer(&dir, &[]).arg(op).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(status(&edn(&out)), "FAILED");

    // The node that would be switched last dies: the two already on A go back to B.
    nodes.sort_by(|a, b| a.node.cmp(&b.node));
    nodes[2].kill();
    let (failed, code) = deploy(&dir, &store, &[], "A");
    assert_eq!(
        (status(&failed), code),
        ("FAILED".to_owned(), Some(1)),
        "{}",
        ion_edn::print(&failed)
    );
    let Some(Edn::Vector(steps)) = ion_edn::get(&failed, "nodes") else {
        panic!()
    };
    let statuses: Vec<String> = steps.iter().map(|s| text(s, "status")).collect();
    assert_eq!(
        statuses,
        ["ROLLED_BACK", "ROLLED_BACK", "FAILED"],
        "{}",
        ion_edn::print(&failed)
    );
    serving(&nodes[..2], "B");

    // A node started after the deploys serves the group's current revision.
    let restarted = Server::group_node("g", &store, &[]);
    serving(std::slice::from_ref(&restarted), "B");
    let shown = ok(deployer(&dir, &[])
        .args(["group", "show", "g", "--store", &store])
        .output()
        .unwrap());
    assert!(
        stdout(&shown).contains(":current \"starter :uname B\", :previous \"starter :uname A\""),
        "{}",
        stdout(&shown)
    );
}

#[test]
fn a_group_over_s3_deploys_without_failing_a_request() {
    let moto = Moto::start();
    let dir = scratch("deploy-s3");
    let bucket = Command::new(venv_python())
        .arg(repo().join("tests/clients/s3_objects.py"))
        .args([&moto.url, "create-bucket", "ion-deploys"])
        .output()
        .unwrap();
    ok(bucket);
    let mut env: Vec<(&str, &str)> = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL_S3", &moto.url));
    let store = "s3://ion-deploys/prod";
    Revisions::push(&dir, "starter-deploy-s3", store, &env, false);
    create_group(&dir, store, &env);
    let nodes: Vec<Server> = (0..3)
        .map(|_| Server::group_node("g", store, &env))
        .collect();
    rolling_deploy(&dir, store, &env, &nodes);
}

#[test]
fn groups_are_created_once_checked_and_updated() {
    let dir = scratch("groups");
    let store = dir.join("store").display().to_string();
    let group = |args: &[&str]| {
        let mut cmd = deployer(&dir, &[]);
        cmd.arg("group").args(args).args(["--store", &store]);
        cmd.output().unwrap()
    };
    let made = ok(group(&[
        "create",
        "web",
        "--env",
        "{:env :prod}",
        "--instance-type",
        "large",
    ]));
    assert_eq!(
        stdout(&made).trim(),
        r#"{:group "web", :env {:env :prod}, :instance-type "large", :db-storage nil, :current nil, :previous nil, :nodes []}"#
    );
    let again = group(&["create", "web"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        error_line(&again).contains("already has a group \"web\""),
        "{}",
        stderr(&again)
    );
    let bad_type = group(&["create", "api", "--instance-type", "huge"]);
    assert!(
        error_line(&bad_type)
            .contains("--instance-type huge: expected one of small, medium, large, xlarge"),
        "{}",
        stderr(&bad_type)
    );
    let bad_env = group(&["create", "api", "--env", "[:not :a :map]"]);
    assert_eq!(bad_env.status.code(), Some(2));
    assert!(
        error_line(&bad_env).contains("--env"),
        "{}",
        stderr(&bad_env)
    );
    // The reference's parameter upgrade: a new environment map.
    ok(group(&[
        "update",
        "web",
        "--env",
        "{:env :prod :feature-x true}",
    ]));
    // The group's database storage: checked, and shown without its password.
    let bad_storage = group(&["update", "web", "--db-storage", "mysql://db/ions"]);
    assert_eq!(bad_storage.status.code(), Some(2));
    assert!(
        error_line(&bad_storage).contains("--db-storage"),
        "{}",
        stderr(&bad_storage)
    );
    ok(group(&[
        "update",
        "web",
        "--db-storage",
        "postgres://ions:s3cret@127.0.0.1:5999/ions",
    ]));
    let shown = ok(group(&["show", "web"]));
    assert!(
        stdout(&shown).contains(":env {:env :prod, :feature-x true}"),
        "{}",
        stdout(&shown)
    );
    assert!(
        stdout(&shown).contains(r#":db-storage "postgres://ions@127.0.0.1:5999/ions""#),
        "{}",
        stdout(&shown)
    );
    assert!(!stdout(&shown).contains("s3cret"), "{}", stdout(&shown));
    assert_eq!(stdout(&ok(group(&["list"]))).trim(), r#"["web"]"#);
    // A lambda name {group}-{name} longer than 64 characters is refused before any node.
    let long = "g".repeat(60);
    ok(group(&["create", &long]));
    let app = app("examples/starter");
    ok(host_at(&dir.join("pusher"))
        .args([
            "push",
            "--no-build",
            "--uname",
            "s1",
            "--store",
            &store,
            "--app",
        ])
        .arg(&app)
        .output()
        .unwrap());
    let refused = deployer(&dir, &[])
        .args([
            "deploy", "--group", &long, "--uname", "s1", "--store", &store,
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(error_line(&refused).contains("64"), "{}", stderr(&refused));
}
