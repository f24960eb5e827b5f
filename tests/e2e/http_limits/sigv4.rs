//! SigV4 on the Lambda API, with boto3 (the real AWS SDK) signing: the right key is served,
//! a wrong secret, an unknown key and an unsigned request are refused the way AWS refuses
//! them, and the secrets never reach the log.

use crate::server::{Server, agent};
use crate::support::{repo, venv_python};
use serde_json::{Value, json};

/// Invokes through boto3 signing with `id` and `secret`.
fn signed(s: &Server, id: &str, secret: &str, requests: &Value) -> Vec<Value> {
    let out = std::process::Command::new(venv_python())
        .arg(repo().join("tests/clients/lambda_invoke.py"))
        .args([
            &s.lambda,
            &requests.to_string(),
            "--credentials",
            id,
            secret,
        ])
        .output()
        .expect("running boto3 (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "boto3 client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn error(r: &Value) -> (&str, u64) {
    (
        r["Error"]["Code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error: {r}")),
        r["Error"]["HTTPStatusCode"].as_u64().unwrap(),
    )
}

#[test]
fn the_lambda_api_can_require_sigv4_signatures() {
    let dir = crate::fixtures::scratch("sigv4");
    let creds = dir.join("lambda-credentials");
    std::fs::write(
        &creds,
        "# who may invoke\nAKIDTESTONE secret/one+1\nAKIDTESTTWO secret-two\n",
    )
    .unwrap();
    let s = Server::start_with(
        super::HOSTILE,
        &["--lambda-credentials", creds.to_str().unwrap()],
    );
    // A plain name, an ARN with a qualifier (escaped path, a query), an unknown function.
    let requests = json!([
        {"FunctionName": "hostile-ok", "Payload": "{\"a\": [1, 2]}"},
        {"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:hostile-ok",
         "Qualifier": "$LATEST", "Payload": "{}"},
        {"FunctionName": "hostile-nope"},
    ]);
    for (id, secret) in [
        ("AKIDTESTONE", "secret/one+1"),
        ("AKIDTESTTWO", "secret-two"),
    ] {
        let r = signed(&s, id, secret, &requests);
        assert_eq!(
            (&r[0]["StatusCode"], &r[0]["Payload"]),
            (&json!(200), &json!("ok")),
            "{id}: {r:?}"
        );
        assert_eq!(
            (&r[1]["StatusCode"], &r[1]["Payload"]),
            (&json!(200), &json!("ok")),
            "{id}: {r:?}"
        );
        assert_eq!(error(&r[2]), ("ResourceNotFoundException", 404), "{id}");
    }
    // A wrong secret is refused before anything else is looked at, even the function name.
    let r = signed(&s, "AKIDTESTONE", "secret-two", &requests);
    for r in &r {
        assert_eq!(error(r), ("InvalidSignatureException", 403));
        assert!(
            r["Error"]["Message"]
                .as_str()
                .unwrap()
                .starts_with("The request signature we calculated does not match"),
            "{r}"
        );
    }
    let r = signed(&s, "AKIDNOBODY", "secret/one+1", &requests);
    assert_eq!(error(&r[0]), ("UnrecognizedClientException", 403));
    assert_eq!(
        r[0]["Error"]["Message"],
        "The security token included in the request is invalid."
    );
    // Unsigned: 403 in AWS's shape.
    let mut r = agent()
        .post(format!(
            "{}/2015-03-31/functions/hostile-ok/invocations",
            s.lambda
        ))
        .send("{}")
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers().get("x-amzn-errortype").unwrap(),
        "MissingAuthenticationTokenException"
    );
    assert_eq!(
        r.body_mut().read_to_string().unwrap(),
        r#"{"message":"Missing Authentication Token"}"#
    );
    // HTTP Direct is not signed.
    let r = agent().get(format!("{}/echo", s.http)).call().unwrap();
    assert_eq!(r.status(), 200);
    let log = s.log();
    assert!(log.contains("Lambda API request refused"), "{log}");
    assert!(
        !log.contains("secret/one+1") && !log.contains("secret-two"),
        "a secret reached the log:\n{log}"
    );
}

#[test]
fn bad_credentials_files_stop_the_node_with_a_clear_error() {
    let dir = crate::fixtures::scratch("sigv4-bad");
    let creds = dir.join("lambda-credentials");
    std::fs::write(&creds, "AKIDTESTONE secret-one\nAKIDTESTTWO\n").unwrap();
    let out = crate::support::host()
        .args(["serve", "--no-build", "--app"])
        .arg(crate::support::app(super::HOSTILE))
        .args(["--lambda-api", "127.0.0.1:0", "--lambda-credentials"])
        .arg(&creds)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("entry 2 has 1 words; expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`"),
        "{err}"
    );
    assert!(!err.contains("secret-one"), "{err}");
}
