//! Parameters through the local store: `host params` fills it, ions read it with
//! get-params and get-app-params, and no secure value shows up anywhere unasked.

use crate::server::{Server, agent};
use crate::support::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The reference's deploy-monitor parameters: two String, two SecureString.
const DEPLOY_MONITOR: [(&str, &str, bool); 4] = [
    ("db-name", "deploy-monitor-db", false),
    ("channel", "#deploys", false),
    ("bot-token", "xoxb-secret-bot-token-7731", true),
    ("verification-token", "verif-secret-9f2c", true),
];

fn store(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ion-params-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.edn"));
    let _ = std::fs::remove_file(&file);
    file
}

/// `host params put` with the value on stdin for secure ones, as a careful user would.
fn put(file: &Path, name: &str, value: &str, secure: bool) {
    let mut cmd = host();
    cmd.args(["params", "put", "--store"]).arg(file).arg(name);
    if secure {
        cmd.arg("--secure").stdin(Stdio::piped());
    } else {
        cmd.arg(value);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if secure {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(value.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    if secure {
        assert!(
            !stdout(&out).contains(value),
            "put echoed the value: {}",
            stdout(&out)
        );
    }
}

/// A store holding the deploy-monitor parameters, one file per test (`test`) so tests
/// running at once never share, or delete, each other's store.
fn deploy_monitor_store(test: &str) -> PathBuf {
    let file = store(&format!("deploy-monitor-{test}"));
    for (key, value, secure) in DEPLOY_MONITOR {
        put(
            &file,
            &format!("/datomic-shared/prod/deploy-monitor/{key}"),
            value,
            secure,
        );
    }
    file
}

fn params_arg(file: &Path) -> String {
    format!("local:{}", file.display())
}

const AS_DEPLOY_MONITOR: [(&str, &str); 2] = [
    ("ION_ENV_MAP", "{:env :prod}"),
    ("ION_APP_INFO_MAP", "{:app-name \"deploy-monitor\"}"),
];

#[test]
fn get_app_params_reads_the_deploy_monitor_parameters() {
    let file = deploy_monitor_store("app-params");
    let out = invoke_with(
        "tests/guests/hostile",
        &["--params", &params_arg(&file), "app-params"],
        &AS_DEPLOY_MONITOR,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        r##"{"bot-token" "xoxb-secret-bot-token-7731", "channel" "#deploys", "db-name" "deploy-monitor-db", "verification-token" "verif-secret-9f2c"}"##
    );
}

#[test]
fn paths_nested_missing_and_many() {
    let file = store("shapes");
    put(&file, "/app/a/k", "1", false);
    put(&file, "/app/a/deeper/k", "2", false);
    put(&file, "/app/ab/k", "not under /app/a", false);
    for i in 0..25 {
        put(&file, &format!("/app/many/p{i:02}"), &i.to_string(), false);
    }
    let run = |path: &str| {
        let out = invoke(
            "tests/guests/hostile",
            &[
                "--params",
                &params_arg(&file),
                "params",
                &format!("\"{path}\""),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        ion_edn::read(&stdout(&out)).unwrap()
    };
    assert_eq!(
        ion_edn::print(&run("/app/a/")),
        r#"{"deeper/k" "2", "k" "1"}"#
    );
    assert_eq!(ion_edn::print(&run("/app/nothing/here/")), "{}");
    let many = run("/app/many");
    let ion_edn::Edn::Map(entries) = &many else {
        panic!("not a map")
    };
    assert_eq!(entries.len(), 25);
}

#[test]
fn a_broken_store_is_unavailable_to_the_ion_and_names_the_store() {
    let file = store("broken");
    std::fs::write(&file, "{\"/x/k\" {:value \"v\" ").unwrap();
    let out = invoke(
        "tests/guests/hostile",
        &["--params", &params_arg(&file), "params", "\"/x\""],
    );
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(line.contains(":cognitect.anomalies/unavailable"), "{line}");
    assert!(
        line.contains(&format!(
            "get-params \\\"/x\\\" from the local store {}",
            file.display()
        )),
        "{line}"
    );
    let out = invoke(
        "tests/guests/hostile",
        &["--params", &params_arg(&file), "params", "\"not/a/path\""],
    );
    assert!(
        error_line(&out).contains(":cognitect.anomalies/incorrect"),
        "{}",
        error_line(&out)
    );
}

#[test]
fn list_shows_names_never_values_and_get_shows_one_value_asked_for() {
    let file = deploy_monitor_store("list");
    let out = host()
        .args(["params", "list", "--store"])
        .arg(&file)
        .arg("/datomic-shared/prod/")
        .output()
        .unwrap();
    let listed = stdout(&out);
    assert_eq!(listed.lines().count(), 4, "{listed}");
    assert!(
        listed.contains(
            "{:name \"/datomic-shared/prod/deploy-monitor/bot-token\", :type :secure-string}"
        ),
        "{listed}"
    );
    for (_, value, _) in DEPLOY_MONITOR {
        assert!(!listed.contains(value), "list printed a value: {listed}");
    }
    let out = host()
        .args(["params", "get", "--store"])
        .arg(&file)
        .arg("/datomic-shared/prod/deploy-monitor/bot-token")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "xoxb-secret-bot-token-7731\n");
}

#[test]
fn no_secure_value_reaches_the_nodes_logs() {
    let file = deploy_monitor_store("logs");
    let s = Server::start_with(
        "tests/guests/hostile",
        &["--params", &params_arg(&file), "--params-ttl-secs", "0"],
    );
    let path = "\"/datomic-shared/prod/deploy-monitor/\"";
    let url = format!(
        "{}/2015-03-31/functions/hostile-params/invocations",
        s.lambda
    );
    for _ in 0..3 {
        let mut r = agent().post(&url).send(path).unwrap();
        assert!(
            r.body_mut()
                .read_to_string()
                .unwrap()
                .contains("xoxb-secret-bot-token-7731")
        );
    }
    // Break the store: refreshes fail and are logged, still without values, and the
    // last good values are still served.
    std::fs::write(&file, "{:broken").unwrap();
    let mut r = agent().post(&url).send(path).unwrap();
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("xoxb-secret-bot-token-7731")
    );
    s.wait_for_log("refreshing parameters failed");
    let log = s.log();
    for (_, value, secure) in DEPLOY_MONITOR {
        if secure {
            assert!(!log.contains(value), "the log holds a secure value:\n{log}");
        }
    }
}

mod ssm {
    //! The same reads through AWS SSM's API, against moto.
    use super::*;
    use crate::moto::{AWS_ENV, Moto};

    fn invoke_ssm(
        moto_url: &str,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> std::process::Output {
        let spec = format!("ssm:{moto_url}");
        let mut all = vec!["--params", &spec];
        all.extend_from_slice(args);
        let mut env: Vec<(&str, &str)> = AWS_ENV.to_vec();
        env.extend_from_slice(extra_env);
        invoke_with("tests/guests/hostile", &all, &env)
    }

    #[test]
    fn the_reference_put_parameter_commands_are_read_back_decrypted() {
        let moto = Moto::start();
        // aws ssm put-parameter --name /datomic-shared/prod/deploy-monitor/… --type String|SecureString
        let params: Vec<(String, &str, &str)> = DEPLOY_MONITOR
            .iter()
            .map(|(k, v, secure)| {
                (
                    format!("/datomic-shared/prod/deploy-monitor/{k}"),
                    *v,
                    if *secure { "SecureString" } else { "String" },
                )
            })
            .collect();
        let borrowed: Vec<(&str, &str, &str)> = params
            .iter()
            .map(|(n, v, t)| (n.as_str(), *v, *t))
            .collect();
        moto.put(&borrowed);
        let out = invoke_ssm(&moto.url, &["app-params"], &AS_DEPLOY_MONITOR);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            r##"{"bot-token" "xoxb-secret-bot-token-7731", "channel" "#deploys", "db-name" "deploy-monitor-db", "verification-token" "verif-secret-9f2c"}"##
        );
        for (_, value, secure) in DEPLOY_MONITOR {
            assert!(
                !secure || !stderr(&out).contains(value),
                "a secure value reached stderr: {}",
                stderr(&out)
            );
        }
    }

    #[test]
    fn pages_nested_paths_and_missing_paths() {
        let moto = Moto::start();
        let mut params: Vec<(String, String)> = (0..25)
            .map(|i| (format!("/app/many/p{i:02}"), i.to_string()))
            .collect();
        params.push(("/app/a/k".into(), "1".into()));
        params.push(("/app/a/deeper/k".into(), "2".into()));
        let borrowed: Vec<(&str, &str, &str)> = params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str(), "String"))
            .collect();
        moto.put(&borrowed);
        let read = |path: &str| {
            let out = invoke_ssm(&moto.url, &["params", &format!("\"{path}\"")], &[]);
            assert!(out.status.success(), "{}", stderr(&out));
            ion_edn::read(&stdout(&out)).unwrap()
        };
        let many = read("/app/many");
        let ion_edn::Edn::Map(entries) = &many else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 25, "more than one page of 10");
        assert_eq!(
            ion_edn::print(&read("/app/a/")),
            r#"{"deeper/k" "2", "k" "1"}"#
        );
        assert_eq!(ion_edn::print(&read("/app/nothing/")), "{}");
    }

    #[test]
    fn an_unreachable_provider_is_unavailable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = invoke_ssm(
            &format!("http://127.0.0.1:{port}"),
            &["params", "\"/app\""],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let line = error_line(&out);
        assert!(line.contains(":cognitect.anomalies/unavailable"), "{line}");
        assert!(
            line.contains(&format!("from the AWS SSM at http://127.0.0.1:{port}")),
            "{line}"
        );
    }
}
