//! `get-env` and `get-app-info` as an ion sees them, from the environment variables.

use crate::support::*;

fn env_of(args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut all = vec!["env"];
    all.extend_from_slice(args);
    let out = invoke_with("tests/guests/hostile", &all, vars);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn without_variables_env_is_empty_and_app_info_has_name_and_group() {
    assert_eq!(
        env_of(&[], &[]),
        r#"[{} {:app-name "hostile", :deployment-group "hostile", :params-prefix "datomic-shared"}]"#
    );
    assert_eq!(
        env_of(&["--group", "g1"], &[]),
        r#"[{} {:app-name "hostile", :deployment-group "g1", :params-prefix "datomic-shared"}]"#
    );
}

#[test]
fn ion_env_map_and_datomic_env_map_are_read_as_edn() {
    assert!(env_of(&[], &[("ION_ENV_MAP", "{:env :staging}")]).starts_with("[{:env :staging} "));
    assert!(env_of(&[], &[("DATOMIC_ENV_MAP", "{:env :prod}")]).starts_with("[{:env :prod} "));
    let both = [
        ("ION_ENV_MAP", "{:env :staging}"),
        ("DATOMIC_ENV_MAP", "{:env :prod}"),
    ];
    assert!(env_of(&[], &both).starts_with("[{:env :staging} "));
}

#[test]
fn app_info_variables_are_merged_over_what_the_host_knows() {
    let got = env_of(
        &[],
        &[("ION_APP_INFO_MAP", r#"{:app-name "stand-in" :extra 1}"#)],
    );
    assert_eq!(
        got,
        r#"[{} {:app-name "stand-in", :deployment-group "hostile", :extra 1, :params-prefix "datomic-shared"}]"#
    );
    let got = env_of(&[], &[("DATOMIC_APP_INFO_MAP", "{:extra 2}")]);
    assert_eq!(
        got,
        r#"[{} {:app-name "hostile", :deployment-group "hostile", :extra 2, :params-prefix "datomic-shared"}]"#
    );
}

#[test]
fn a_malformed_variable_is_refused_by_name() {
    for (var, value, expected) in [
        (
            "ION_ENV_MAP",
            "{:env",
            "error: environment variable ION_ENV_MAP: the document is missing; expected an EDN map, but the EDN is malformed at line 1, column 6",
        ),
        (
            "DATOMIC_ENV_MAP",
            ":prod",
            "error: environment variable DATOMIC_ENV_MAP: the document is :prod; expected an EDN map, e.g. {:env :staging}",
        ),
        (
            "ION_APP_INFO_MAP",
            "[1]",
            "error: environment variable ION_APP_INFO_MAP: the document is [1]; expected an EDN map, e.g. {:env :staging}",
        ),
    ] {
        let out = invoke_with("tests/guests/hostile", &["env"], &[(var, value)]);
        assert_eq!(out.status.code(), Some(2), "{var}");
        assert!(
            stderr(&out).starts_with(expected),
            "{var}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_group_too_long_for_a_lambda_name_is_refused() {
    let group = "g".repeat(60);
    let out = invoke("tests/guests/hostile", &["--group", &group, "ok"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("-unlimited\" (70 characters) in group"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("is at most 64 characters"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_lambda_context_has_the_aws_keys() {
    let out = invoke("tests/guests/hostile", &["--group", "g1", "context"]);
    let ctx = ion_edn::read(&stdout(&out)).unwrap();
    let get = |k: &str| {
        ion_edn::get(&ctx, k)
            .cloned()
            .unwrap_or_else(|| panic!("no :{k} in {}", stdout(&out)))
    };
    assert_eq!(get("functionName"), ion_edn::string("g1-context"));
    assert_eq!(get("functionVersion"), ion_edn::string("$LATEST"));
    assert_eq!(get("memoryLimitInMB"), ion_edn::Edn::Int(128));
    assert!(
        matches!(get("remainingTimeInMillis"), ion_edn::Edn::Int(ms) if ms > 0 && ms <= 60_000)
    );
    assert!(matches!(get("awsRequestId"), ion_edn::Edn::Str(ref id) if id.len() == 36));
    for key in [
        "invokedFunctionArn",
        "logGroupName",
        "logStreamName",
        "identity",
        "clientContext",
    ] {
        get(key);
    }
}
