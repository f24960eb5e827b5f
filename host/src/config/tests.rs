//! Table-driven `ion-config.edn` cases: each file under `tests/cases/ion-config/` starts
//! with `;; expect: ok` or one `;; expect: <problem>` line per problem the host must report.

use super::*;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    // The run-time value: the build-time one is stale when a shared target dir was
    // built from another checkout.
    std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../tests/cases/ion-config")
}

#[test]
fn every_case_file_reports_exactly_its_expected_problems() {
    let mut files: Vec<_> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() > 30,
        "cases missing from {}",
        cases_dir().display()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let expected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix(";; expect: "))
            .collect();
        assert!(
            !expected.is_empty(),
            "{} has no ;; expect: line",
            file.display()
        );
        match IonConfig::parse(&text, &file) {
            Ok(_) => assert_eq!(expected, ["ok"], "{} parsed but should not", file.display()),
            Err(e) => {
                assert_eq!(e.source, file);
                let got: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
                assert_eq!(got, expected, "{}", file.display());
            }
        }
    }
}

#[test]
fn every_default_is_the_references() {
    let c = IonConfig::parse(
        "{:app-name \"a\" :lambdas {:echo {:fn a.b/echo}} :http-direct {:handler-fn a.b/web}}",
        Path::new("t"),
    )
    .unwrap();
    assert!(c.allow.is_empty() && c.xforms.is_empty());
    let echo = &c.lambdas["echo"];
    assert_eq!(echo.fn_name.as_str(), "a.b/echo");
    assert_eq!(echo.description, "");
    assert_eq!(echo.timeout_secs, 60);
    assert_eq!(echo.concurrency_limit, ConcurrencyLimit::Reserved(20));
    assert_eq!(echo.integration, None);
    let h = c.http_direct.unwrap();
    assert_eq!(h.handler_fn.as_str(), "a.b/web");
    assert_eq!(h.pending_ops_queue_length, 100);
    assert_eq!(h.processing_concurrency, 16);
    assert_eq!(h.pending_ops_exceeded_message, "Throttled");
    assert_eq!(h.pending_ops_exceeded_code, 429);
}

#[test]
fn every_key_is_read() {
    let c = IonConfig::parse(
        r#"{:app-name "my-app"
            :allow [my.app/add my.app/ok?]
            :xforms [my.app/upper]
            :lambdas {:echo {:fn my.app/echo :description "Echos" :timeout-secs 900
                             :concurrency-limit :none :integration :api-gateway/proxy}
                      :other {:fn my.app/other :concurrency-limit 3 :timeout-secs 1}}
            :http-direct {:handler-fn my.app/web :pending-ops-queue-length 0
                          :processing-concurrency 2 :pending-ops-exceeded-message "Busy"
                          :pending-ops-exceeded-code 503}}"#,
        Path::new("t"),
    )
    .unwrap();
    assert_eq!(c.app_name, "my-app");
    assert_eq!(
        c.allow.iter().map(FnName::as_str).collect::<Vec<_>>(),
        ["my.app/add", "my.app/ok?"]
    );
    assert_eq!(
        c.xforms.iter().map(FnName::as_str).collect::<Vec<_>>(),
        ["my.app/upper"]
    );
    let echo = &c.lambdas["echo"];
    assert_eq!(
        (
            echo.description.as_str(),
            echo.timeout_secs,
            echo.concurrency_limit,
            echo.integration
        ),
        (
            "Echos",
            900,
            ConcurrencyLimit::None,
            Some(Integration::ApiGatewayProxy)
        )
    );
    assert_eq!(
        c.lambdas["other"].concurrency_limit,
        ConcurrencyLimit::Reserved(3)
    );
    assert_eq!(c.lambdas["other"].timeout_secs, 1);
    let h = c.http_direct.unwrap();
    assert_eq!(
        (
            h.pending_ops_queue_length,
            h.processing_concurrency,
            h.pending_ops_exceeded_message.as_str(),
            h.pending_ops_exceeded_code
        ),
        (0, 2, "Busy", 503)
    );
}

#[test]
fn group_plus_lambda_name_is_at_most_64_characters() {
    let name = "l".repeat(50);
    let c = IonConfig::parse(
        &format!("{{:app-name \"a\" :lambdas {{:{name} {{:fn a.b/c}}}}}}"),
        Path::new("t"),
    )
    .unwrap();
    // "g".repeat(13) + "-" + 50 = 64: allowed.
    assert!(c.validate_for_group(&"g".repeat(13)).is_ok());
    let problems = c.validate_for_group(&"g".repeat(14)).unwrap_err();
    assert_eq!(
        problems[0].to_string(),
        format!(
            ":lambdas :{name} is \"{}-{name}\" (65 characters) in group \"{}\"; expected a lambda name that, with the compute group's name, is at most 64 characters",
            "g".repeat(14),
            "g".repeat(14)
        )
    );
    assert_eq!(
        c.lambda_by_function_name("g1", &format!("g1-{name}"))
            .unwrap()
            .name,
        name
    );
    assert!(c.lambda_by_function_name("g1", "g2-x").is_none());
}

#[test]
fn a_missing_file_is_named() {
    let err = IonConfig::load(Path::new("/nonexistent/ion-config.edn")).unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/ion-config.edn: the document is missing; expected a readable ion-config.edn file"), "{err}");
}
