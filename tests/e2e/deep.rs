//! Deeply nested data (issue 22, item 3): a value nested past `ion_edn::MAX_DEPTH` that
//! reaches the host from a guest (every import, a function's result, a lambda's or web
//! ion's answer) or from a client (HTTP Direct, the Lambda API, API Gateway events, the
//! CLI) fails its own call with a clear error, and the node goes on serving. Before the
//! limit, a Python ion handing `q` an argument nested 1 000 deep aborted the whole node
//! (`execution on async fiber has overflowed its stack`).

use crate::server::{Server, agent};
use crate::support::{host, stderr, stdout};
use ion_edn::{Edn, MAX_DEPTH};

/// Invokes hostile lambda `name` over the Lambda API: `(status, function error, body)`.
fn invoke(s: &Server, name: &str, payload: &str) -> (u16, Option<String>, String) {
    let url = format!(
        "{}/2015-03-31/functions/hostile-{name}/invocations",
        s.lambda
    );
    let mut r = agent().post(&url).send(payload).unwrap();
    let error = r
        .headers()
        .get("x-amz-function-error")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        r.status().as_u16(),
        error,
        r.body_mut().read_to_string().unwrap(),
    )
}

/// `hostile/deep` through import `via` at `depth`: the import's `[category message]`.
fn deep(s: &Server, via: &str, depth: usize) -> (String, String) {
    let (status, error, body) = invoke(s, "deep", &format!("[\"{via}\", {depth}, \"deep\"]"));
    assert_eq!(
        (status, error.as_deref()),
        (200, None),
        "{via} {depth}: {body}"
    );
    match &ion_edn::read(&body).unwrap_or_else(|e| panic!("{via}: not EDN ({e}): {body}")) {
        Edn::Vector(v) => match v.as_slice() {
            [Edn::Str(a), Edn::Str(b)] => (a.to_string(), b.to_string()),
            _ => panic!("{via}: {body}"),
        },
        _ => panic!("{via}: {body}"),
    }
}

fn alive(s: &Server) {
    let (status, error, body) = invoke(s, "ok", "{}");
    assert_eq!((status, error, body.as_str()), (200, None, "ok"));
}

const LIMIT_MESSAGE: &str = "nested deeper than 256 levels";

#[test]
fn values_nested_past_the_limit_fail_their_own_call_through_every_import() {
    let s = Server::start("tests/guests/hostile");
    let vias = [
        "cast",
        "metric",
        "q-arg",
        "q-query",
        "q-clauses",
        "q-fn",
        "tx-fn",
        "transact",
        "transact-map",
        "with",
        "pull",
        "datoms",
        "as-of",
    ];
    for via in vias {
        for depth in [1_000, 100_000] {
            let (category, message) = deep(&s, via, depth);
            if via == "q-fn" || via == "tx-fn" {
                // The ion's own function answers the deep value: at 100 000 its own
                // printer overflows its wasm stack first (a trap: that call fails); at
                // 1 000 the host refuses to read what it answered.
                assert!(
                    category == "incorrect" && message.contains(LIMIT_MESSAGE)
                        || depth == 100_000 && category == "fault",
                    "{via} {depth}: {category} {message}"
                );
                if depth == 1_000 {
                    assert!(message.contains("hostile/"), "{via}: {message}");
                }
            } else {
                assert_eq!(category, "incorrect", "{via} {depth}: {message}");
                assert!(message.contains(LIMIT_MESSAGE), "{via} {depth}: {message}");
            }
            alive(&s);
        }
        // Right at the limit every import reads the value and walks it without running
        // out of the call's stack: it answers (ok, or an error about the value's type).
        let (category, message) = deep(&s, via, MAX_DEPTH - 4);
        assert!(
            !message.contains(LIMIT_MESSAGE),
            "{via} at the limit: {category} {message}"
        );
        alive(&s);
    }
    assert!(
        s.pid() > 0 && !s.log().contains("overflowed"),
        "{}",
        s.log()
    );
}

#[test]
fn deep_answers_and_deep_client_input_fail_alone() {
    let s = Server::start("tests/guests/hostile");
    let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    // A lambda's and a web ion's answers are bytes to the host: they pass through whole.
    let (status, _, body) = invoke(&s, "deep", "[\"result\", 100000, \"\"]");
    assert_eq!(status, 200);
    assert_eq!(body, nested(100_000));
    let mut r = agent()
        .get(format!("{}/deep?n=100000", s.http))
        .call()
        .unwrap();
    assert_eq!(r.body_mut().read_to_string().unwrap(), nested(100_000));
    // HTTP Direct hands a request body to the ion as bytes, however it nests.
    let mut r = agent()
        .post(format!("{}/body", s.http))
        .header("content-type", "application/json")
        .send(nested(100_000))
        .unwrap();
    assert_eq!(r.body_mut().read_to_string().unwrap().len(), 200_001);
    // The Lambda API checks that a payload is JSON without building it (serde's
    // IgnoredAny walks it without recursion), and hands the text to the ion as it is.
    let (status, _, body) = invoke(&s, "ok", &nested(100_000));
    assert_eq!((status, body.as_str()), (200, "ok"));
    // An API Gateway event is parsed into a tree (serde_json, 128 levels at most), so one
    // nested past that fails its call, before the ion.
    let event = format!(
        r#"{{"version":"2.0","rawPath":"/echo","requestContext":{{"http":{{"method":"GET","path":"/echo"}}}},"x":{}}}"#,
        nested(50_000)
    );
    let (status, error, body) = invoke(&s, "proxy", &event);
    assert_eq!(
        (status, error.as_deref()),
        (200, Some("Unhandled")),
        "{body}"
    );
    assert!(
        body.contains("cognitect.anomalies/incorrect")
            && body.contains("API Gateway event: the text is not JSON (recursion limit exceeded"),
        "{body}"
    );
    alive(&s);
}

#[test]
fn the_cli_refuses_a_deep_argument_with_a_clear_error() {
    let home = std::env::temp_dir().join(format!("ion-deep-cli-{}", std::process::id()));
    let run = |args: &[&str]| host().env("ION_HOME", &home).args(args).output().unwrap();
    assert!(run(&["db", "create", "deep"]).status.success());
    let arg = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let out = run(&[
        "db",
        "q",
        "deep",
        "[:find ?x . :in $ ?x :where [(identity ?x) ?y]]",
        &arg,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(LIMIT_MESSAGE), "{}", stderr(&out));
    // At the limit the same query answers.
    let arg = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let out = run(&[
        "db",
        "q",
        "deep",
        "[:find ?y . :in $ ?x :where [(identity ?x) ?y]]",
        &arg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), arg);
    let _ = std::fs::remove_dir_all(home);
}
