//! The deploy console in a real browser: three group nodes over one store, the console
//! opened on one of them in headless Chromium (WebDriver, through Selenium) during a real
//! deploy, watched until the deploy has SUCCEEDED on every node. The screenshot is kept
//! as a test artifact.

use crate::deploy::{Revisions, create_group, deploy, status};
use crate::fixtures::scratch;
use crate::server::{Server, TOKEN, agent};
use crate::support::{repo, venv_python};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Where test artifacts go: `$CARGO_TARGET_DIR/test-artifacts`.
fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_console_shows_a_three_node_deploy_reach_succeeded() {
    let dir = scratch("console");
    let store = dir.join("store").display().to_string();
    Revisions::push(&dir, "starter-console", &store, &[], false);
    create_group(&dir, &store, &[]);
    let nodes: Vec<Server> = (0..3)
        .map(|_| Server::group_node("g", &store, &[]))
        .collect();
    let (a, _) = deploy(&dir, &store, &[], "A");
    assert_eq!(status(&a), "SUCCEEDED", "{}", ion_edn::print(&a));

    // The page needs the token; its state is JSON for the page's script.
    let admin = &nodes[0].admin;
    let refused = agent().get(format!("{admin}/console")).call().unwrap();
    assert_eq!(refused.status(), 401);
    let mut state = agent()
        .get(format!("{admin}/console/state"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .call()
        .unwrap();
    let state: serde_json::Value =
        serde_json::from_str(&state.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        state["store"]["groups"][0]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "{state}"
    );
    assert_eq!(state["node"]["revision"], "starter :uname A", "{state}");

    // The browser opens the console; once it shows the group, deploy B and watch.
    let shot = artifacts().join("console-deploy.png");
    let _ = std::fs::remove_file(&shot);
    let mut watcher = Command::new(venv_python())
        .arg(repo().join("tests/clients/console_watch.py"))
        .arg(format!("{admin}/console?token={TOKEN}"))
        .args(["g", "starter B", "3"])
        .arg(&shot)
        .stdout(Stdio::piped())
        .spawn()
        .expect("running the console watcher (scripts/setup installs selenium and chromium)");
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    let first = lines.next().map(Result::unwrap).unwrap_or_default();
    assert_eq!(first, "ready", "the console did not show the group");
    let (b, code) = deploy(&dir, &store, &[], "B");
    assert_eq!(
        (status(&b), code),
        ("SUCCEEDED".to_owned(), Some(0)),
        "{}",
        ion_edn::print(&b)
    );
    let report = lines.next().map(Result::unwrap).unwrap_or_default();
    let finished = watcher.wait().unwrap();
    assert!(
        finished.success(),
        "the console never showed B succeed: {report}"
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        report["seen"].as_array().and_then(|s| s.last()),
        Some(&"SUCCEEDED".into()),
        "{report}"
    );
    assert_eq!(
        report["steps"],
        serde_json::json!(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot {}",
        shot.display()
    );

    // `host logs --group` reads every live node, each line under its node's id.
    let out = crate::support::host()
        .env("ION_ADMIN_TOKEN", TOKEN)
        .args(["logs", "--group", "g", "--store", &store])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = crate::support::stdout(&out);
    let mut ids: Vec<&str> = text.lines().filter_map(|l| l.split(" | ").next()).collect();
    ids.sort();
    ids.dedup();
    let mut expected: Vec<&str> = nodes.iter().map(|n| n.node.as_str()).collect();
    expected.sort();
    assert_eq!(ids, expected, "{text}");
    eprintln!(
        "console: saw {} during the deploy; screenshot at {}",
        report["seen"],
        shot.display()
    );
}
