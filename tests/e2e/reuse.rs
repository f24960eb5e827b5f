//! Instance reuse (issue 21), opt-in per app with `:instance-reuse`: a kept instance's
//! module state persists across calls only with reuse on; a call that traps, times out
//! or passes its memory limit fails alone and its instance is discarded; `:max-count`
//! and the node's caps hold; each call sees only its own output; a swap drains the old
//! revision's instances; and `/metrics` counts instances made, reused and discarded.

use crate::server::{Server, TOKEN, agent};
use crate::support::{app, host};
use base64::Engine as _;
use ion_host::runtime::LoadedApp;
use ion_host::serve::{Node, Slot};
use std::path::PathBuf;

const HOSTILE: &str = "tests/guests/hostile";
const WASI_HTTP: &str = "tests/guests/wasi-http";

/// The hostile app's ion-config.edn with `reuse` (a map's entries) as `:instance-reuse`.
pub fn config_with_reuse(reuse: &str) -> String {
    let text = std::fs::read_to_string(app(HOSTILE).join("ion-config.edn")).unwrap();
    let head = "{:app-name \"hostile\"";
    assert!(text.contains(head), "the hostile config starts {head}");
    text.replacen(head, &format!("{head}\n :instance-reuse {{{reuse}}}"), 1)
}

/// A folder holding the built hostile component and `config`, for `host serve --no-build`.
pub fn app_dir(config: &str) -> PathBuf {
    app_dir_of(HOSTILE, config)
}

/// A folder holding test app `name`'s built component and `config`.
fn app_dir_of(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ion-reuse-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(dir.join("target/ion")).unwrap();
    std::fs::copy(
        app(name).join("target/ion/app.wasm"),
        dir.join("target/ion/app.wasm"),
    )
    .unwrap();
    std::fs::write(dir.join("ion-config.edn"), config).unwrap();
    dir
}

/// One Lambda API call: `(body, function error, the log tail it returned)`.
fn invoke(s: &Server, name: &str, payload: &str) -> (String, Option<String>, String) {
    let url = format!(
        "{}/2015-03-31/functions/hostile-{name}/invocations",
        s.lambda
    );
    let mut r = agent()
        .post(&url)
        .header("X-Amz-Log-Type", "Tail")
        .send(payload)
        .unwrap();
    let header = |h: &str| r.headers().get(h).map(|v| v.to_str().unwrap().to_owned());
    let error = header("x-amz-function-error");
    let log = header("x-amz-log-result")
        .map(|b| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b).unwrap();
            String::from_utf8(bytes).unwrap()
        })
        .unwrap_or_default();
    (r.body_mut().read_to_string().unwrap(), error, log)
}

/// The `calls` lambda's answer: how many calls its instance has served.
fn calls(s: &Server) -> String {
    let (body, error, _) = invoke(s, "calls", "\"x\"");
    assert_eq!(error, None, "{body}");
    body
}

fn metric(s: &Server, line_start: &str) -> u64 {
    let text = agent()
        .get(format!("{}/metrics", s.admin))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[test]
fn a_kept_instance_remembers_until_a_call_traps_times_out_or_runs_out_of_memory() {
    let dir = app_dir(&config_with_reuse(":max-count 5 :idle-timeout-ms 600000"));
    let s = Server::serve_app(&dir, &[], &[]);
    // Calls one after another: one instance, kept.
    for (n, input) in ["a", "b", "c"].iter().enumerate() {
        let (body, error, log) = invoke(&s, "calls", &format!("\"{input}\""));
        assert_eq!((body.as_str(), error), ((n + 1).to_string().as_str(), None));
        // Each call's log is its own: the kept instance's earlier output is not in it.
        assert!(
            log.contains(&format!("call {} input \"{input}\"", n + 1)),
            "{log}"
        );
        assert_eq!(log.matches("call ").count(), 1, "{log}");
    }
    // A panic, a memory hog and a timeout each fail alone, and the next call starts over.
    for failing in ["panic", "hog", "spin"] {
        let (_, error, _) = invoke(&s, failing, "{}");
        assert_eq!(error.as_deref(), Some("Unhandled"), "{failing}");
        assert_eq!(calls(&s), "1", "after {failing}");
        assert_eq!(calls(&s), "2", "after {failing}");
    }
    // An error the ion returns leaves its instance sound.
    let (_, error, _) = invoke(&s, "fail", "{}");
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(calls(&s), "3");
    // :max-count 5: the instance's fifth call (counting the failed one) is its last.
    assert_eq!(calls(&s), "4");
    assert_eq!(calls(&s), "1");
    // Web ions of the app share its instances.
    let web = agent()
        .get(format!("{}/calls", s.http))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert_eq!(web, "2");
    let discarded = |reason: &str| {
        metric(
            &s,
            &format!("ion_instances_discarded_total{{reason=\"{reason}\"}} "),
        )
    };
    assert_eq!(discarded("trap"), 1);
    assert_eq!(discarded("memory"), 1);
    assert_eq!(discarded("timeout"), 1);
    assert_eq!(discarded("max-count"), 1);
    // 17 calls, 5 of them in a fresh instance (the first, and the first after each
    // discard).
    assert_eq!(metric(&s, "ion_instances_reused_total "), 12);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn without_reuse_or_capped_to_one_call_every_call_gets_a_fresh_instance() {
    // The default: no :instance-reuse.
    let plain = Server::start(HOSTILE);
    assert_eq!((calls(&plain), calls(&plain)), ("1".into(), "1".into()));
    assert_eq!(metric(&plain, "ion_instances_reused_total "), 0);
    // The node's flag caps what the app asks for.
    let dir = app_dir(&config_with_reuse(":max-count 100"));
    let capped = Server::serve_app(&dir, &[], &["--max-instance-reuse-count", "1"]);
    assert_eq!((calls(&capped), calls(&capped)), ("1".into(), "1".into()));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_idle_instance_is_dropped_after_its_timeout() {
    let dir = app_dir(&config_with_reuse(":idle-timeout-ms 600000"));
    // The node caps the app's 10 minutes to 50 ms.
    let s = Server::serve_app(&dir, &[], &["--idle-instance-timeout", "50ms"]);
    assert_eq!(calls(&s), "1");
    // The sweeper drops the idle instance within a few of its periods; wait for the
    // metric rather than for a time.
    let started = std::time::Instant::now();
    while metric(&s, "ion_instances_discarded_total{reason=\"idle\"} ") == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the idle instance was never dropped"
        );
        std::thread::yield_now();
    }
    assert_eq!(calls(&s), "1");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn concurrent_reuse_is_refused_until_the_node_caps_it_to_one() {
    let dir = app_dir(&config_with_reuse(":max-concurrent 4"));
    let out = host()
        .args([
            "serve",
            "--no-build",
            "--lambda-api",
            "127.0.0.1:0",
            "--app",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":instance-reuse :max-concurrent is 4, but this component's exports take one call at a time"),
        "{err}"
    );
    let s = Server::serve_app(&dir, &[], &["--max-instance-concurrent-reuse-count", "1"]);
    assert_eq!((calls(&s), calls(&s)), ("1".into(), "2".into()));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_plain_wasi_http_component_is_reused_only_when_its_config_asks() {
    let get = |s: &Server| {
        agent()
            .get(format!("{}/calls", s.http))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    };
    let plain = Server::start(WASI_HTTP);
    assert_eq!((get(&plain), get(&plain)), ("1".into(), "1".into()));
    let config = std::fs::read_to_string(app(WASI_HTTP).join("ion-config.edn"))
        .unwrap()
        .replacen(
            "{:app-name",
            "{:instance-reuse {:max-count 3}\n :app-name",
            1,
        );
    let dir = app_dir_of(WASI_HTTP, &config);
    let s = Server::serve_app(&dir, &[], &[]);
    let answers: Vec<String> = (0..4).map(|_| get(&s)).collect();
    assert_eq!(answers, ["1", "2", "3", "1"]);
    std::fs::remove_dir_all(dir).ok();
}

async fn call(app: &LoadedApp) -> String {
    let out = app
        .call_lambda("calls", "\"x\"", crate::runtime::ctx("calls"))
        .await
        .result
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_drains_the_old_revisions_instances() {
    let config = config_with_reuse(":max-count 100");
    let load = async || {
        crate::runtime::load_with(HOSTILE, Some(&config), "{}")
            .await
            .unwrap()
    };
    let old = load().await;
    assert_eq!(
        (call(&old).await, call(&old).await),
        ("1".into(), "2".into())
    );
    assert_eq!(old.idle_instances(), 1);
    let node = Node::new(Slot::new(old.clone(), "A".into()), "g1".into());
    let new = load().await;
    node.swap(Some(Slot::new(new.clone(), "B".into())));
    assert_eq!(old.idle_instances(), 0);
    // A call still running on the old revision finishes in a fresh instance, which is
    // not kept after it.
    assert_eq!(call(&old).await, "1");
    assert_eq!(old.idle_instances(), 0);
    // The new revision starts with instances of its own.
    assert_eq!(call(&new).await, "1");
    assert_eq!(new.idle_instances(), 1);
}
