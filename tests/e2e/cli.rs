//! The `host` command line against real components.

use crate::support::*;

#[test]
fn echo_prints_its_input_back() {
    let out = invoke("examples/starter", &["echo", r#"{"hello":"world"}"#]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), r#"{"hello":"world"}"#);
}

#[test]
fn invoke_builds_the_app_first_unless_told_not_to() {
    let app = app("examples/starter");
    let out = host()
        .args(["invoke", "--app"])
        .arg(&app)
        .args(["echo", "[1]"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "[1]");
}

#[test]
fn a_lambda_without_input_gets_an_empty_json_object() {
    let out = invoke("examples/starter", &["echo"]);
    assert_eq!(stdout(&out), "{}");
}

#[test]
fn query_fns_xforms_and_web_ions_take_edn() {
    let out = invoke(
        "examples/starter",
        &["ion.starter/feature-item?", r#"["SKU-21"]"#],
    );
    assert_eq!(
        (stdout(&out).as_str(), out.status.code()),
        ("true\n", Some(0)),
        "{}",
        stderr(&out)
    );
    let out = invoke(
        "examples/starter",
        &["ion.starter/display-name", "[:dress-shoe]"],
    );
    assert_eq!(stdout(&out), "\"Dress shoe\"\n");
    let out = invoke(
        "examples/starter",
        &["ion.starter/web", r#"{:request-method :get :uri "/"}"#],
    );
    assert_eq!(
        stdout(&out),
        "{:status 200, :headers {\"content-type\" \"text/plain; charset=utf-8\"}, :body \"Hello from ion.starter\"}\n"
    );
}

#[test]
fn an_ion_error_exits_1_with_the_anomaly_map_on_stderr() {
    let out = invoke("tests/guests/hostile", &["fail"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    let line = error_line(&out);
    assert!(line.starts_with("{:cognitect.anomalies/category :cognitect.anomalies/conflict, :cognitect.anomalies/message \"the order changed under you\", :hostile/order-id 42, :ion/request-id \""), "{line}");
}

#[test]
fn a_panicking_ion_fails_with_its_panic_message() {
    let out = invoke("tests/guests/hostile", &["panic"]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(line.contains(":cognitect.anomalies/fault"), "{line}");
    assert!(
        line.contains("hostile/panic panicked: boom (at src/lib.rs:"),
        "{line}"
    );
}

#[test]
fn a_runaway_ion_is_stopped_at_its_timeout() {
    let out = invoke("tests/guests/hostile", &["spin"]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(line.contains(":cognitect.anomalies/interrupted"), "{line}");
    assert!(
        line.contains("hostile/spin timed out after 1 s (its :timeout-secs)"),
        "{line}"
    );
}

#[test]
fn an_ion_growing_memory_past_the_limit_fails_clearly() {
    let out = invoke("tests/guests/hostile", &["hog"]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(line.contains(":cognitect.anomalies/fault"), "{line}");
    assert!(
        line.contains("hostile/hog exceeded its memory limit of 128 MiB"),
        "{line}"
    );
}

#[test]
fn runaway_recursion_fails_clearly() {
    let out = invoke("tests/guests/hostile", &["recurse"]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(
        line.contains("hostile/recurse trapped") && line.contains("runaway recursion"),
        "{line}"
    );
}

#[test]
fn a_malformed_database_size_variable_is_refused_by_name() {
    for (name, value) in [("ION_DB_CACHE_BYTES", "lots"), ("ION_DB_INDEX_EVERY", "0")] {
        let out = host()
            .args(["db", "list"])
            .env(name, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            stderr(&out).contains(&format!("{name}=\"{value}\": expected a size above zero")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn unknown_names_and_bad_input_exit_2() {
    let out = invoke("examples/starter", &["nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope is neither a lambda in :lambdas (context, echo, fail, get-items-by-type, get-schema, items-by-type)"), "{}", stderr(&out));
    let out = invoke("examples/starter", &["ion.starter/feature-item?", "[1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("INPUT is not EDN"),
        "{}",
        stderr(&out)
    );
    let out = invoke("examples/starter", &["ion.starter/create-item", "[]"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("ion.starter/create-item is a transaction function"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_ion_config_is_refused_naming_file_and_key() {
    let dir = tempdir("bad-config");
    std::fs::write(
        dir.join("ion-config.edn"),
        "{:app-name \"x\" :lambdas {:echo {:fn a.b/echo :timeout-secs 0}}}",
    )
    .unwrap();
    let out = host()
        .args(["invoke", "--no-build", "--app"])
        .arg(&dir)
        .arg("echo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let expected = format!(
        "error: {}: :lambdas :echo :timeout-secs is 0; expected a positive integer of at most 900 (seconds)",
        dir.join("ion-config.edn").display()
    );
    assert_eq!(stderr(&out).trim(), expected);
}

#[test]
fn building_a_folder_without_ion_config_is_refused() {
    let dir = tempdir("not-an-app");
    let out = host().args(["build", "--app"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not an app folder: it has no ion-config.edn"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_lists_only_working_subcommands() {
    let out = host().arg("--help").output().unwrap();
    let text = stdout(&out);
    let commands: Vec<&str> = text
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        commands,
        [
            "build",
            "invoke",
            "serve",
            "dev",
            "params",
            "push",
            "revisions",
            "gc",
            "db",
            "group",
            "deploy",
            "deploy-status",
            "logs",
            "help"
        ]
    );
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ion-e2e-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn cast_events_are_logged_with_app_ion_and_request_id() {
    let out = invoke_with(
        "tests/guests/hostile",
        &["cast", r#"{:msg "hi" :hostile/n 1}"#],
        &[("ION_LOG_FORMAT", "json")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let record: serde_json::Value = stderr(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["target"] == "ion::cast")
        .unwrap_or_else(|| panic!("no cast log line in {}", stderr(&out)));
    let fields = &record["fields"];
    assert_eq!(record["target"], "ion::cast");
    assert_eq!(
        (
            fields["type"].as_str(),
            fields["app"].as_str(),
            fields["ion"].as_str()
        ),
        (Some("Event"), Some("hostile"), Some("hostile/cast"))
    );
    assert_eq!(fields["request_id"].as_str().map(str::len), Some(36));
    assert_eq!(fields["data"], r#"{"hostile/n":1,"msg":"hi"}"#);
}

#[test]
fn a_malformed_cast_is_refused_as_incorrect() {
    let out = invoke("tests/guests/hostile", &["cast", r#"{:msg "hi" :n 1}"#]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains(":cognitect.anomalies/incorrect, :cognitect.anomalies/message \"cast/event: :n must be namespaced, e.g. :my.app/n\""), "{}", error_line(&out));
}

#[test]
fn a_web_request_map_with_bad_headers_is_refused_by_name() {
    let out = invoke(
        "examples/starter",
        &["ion.starter/web", r#"{:uri "/" :headers {"x-a" 1}}"#],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(r#"INPUT :headers: "x-a" 1 is not a string name and a string value"#),
        "{}",
        stderr(&out)
    );
    let out = invoke(
        "examples/starter",
        &[
            "ion.starter/web",
            r#"{:request-method :post :uri "/echo" :headers {"Content-Type" "text/x-a\"b"} :body "hi"}"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{:status 200, :headers {\"content-type\" \"text/x-a\\\"b\"}, :body \"hi\"}\n"
    );
}
