//! The Lambda Invoke API through boto3, the real AWS SDK, against real lambda ions.

use crate::server::{Server, agent};
use base64::Engine as _;
use serde_json::{Value, json};

fn one(s: &Server, args: Value) -> Value {
    s.boto(json!([args])).remove(0)
}

#[test]
fn request_response_returns_the_payload() {
    let s = Server::start("examples/starter");
    let r = one(
        &s,
        json!({"FunctionName": "starter-echo", "Payload": "{\"hello\":\"world\"}"}),
    );
    assert_eq!(r["StatusCode"], 200, "{r}");
    assert_eq!(r["Payload"], "{\"hello\":\"world\"}");
    assert_eq!(r["FunctionError"], Value::Null);
    assert_eq!(r["ExecutedVersion"], "$LATEST");
    assert_eq!(r["RequestId"].as_str().map(str::len), Some(36));
    // A full ARN and the $LATEST qualifier name the same function.
    let r = one(
        &s,
        json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:starter-echo", "Payload": "[1]", "Qualifier": "$LATEST"}),
    );
    assert_eq!(r["Payload"], "[1]", "{r}");
}

#[test]
fn a_failing_ion_is_a_function_error_with_aws_shape() {
    let s = Server::start("tests/guests/hostile");
    let r = one(&s, json!({"FunctionName": "hostile-fail", "Payload": "{}"}));
    assert_eq!(
        (r["StatusCode"].as_i64(), r["FunctionError"].as_str()),
        (Some(200), Some("Unhandled")),
        "{r}"
    );
    let body: Value = serde_json::from_str(r["Payload"].as_str().unwrap()).unwrap();
    assert_eq!(body["errorMessage"], "the order changed under you");
    assert_eq!(body["errorType"], "cognitect.anomalies/conflict");
    assert!(body["stackTrace"].is_array());
    assert!(
        body["anomaly"]
            .as_str()
            .unwrap()
            .contains(":hostile/order-id 42"),
        "{body}"
    );
    // The failing call is logged under the request id the client got back.
    let id = r["RequestId"].as_str().expect("a request id");
    let line = s.wait_for_log(id);
    assert!(line.contains("lambda failed"), "{line}");
    assert!(line.contains("the order changed under you"), "{line}");
}

#[test]
fn tail_returns_the_end_of_the_calls_log() {
    let s = Server::start("tests/guests/hostile");
    let r = one(
        &s,
        json!({"FunctionName": "hostile-panic", "LogType": "Tail"}),
    );
    assert_eq!(r["FunctionError"], "Unhandled");
    let log = r["LogResult"].as_str().unwrap();
    let id = r["RequestId"].as_str().unwrap();
    assert!(
        log.starts_with(&format!("START RequestId: {id} Version: $LATEST\n")),
        "{log}"
    );
    assert!(
        log.contains("panicked at src/lib.rs") && log.contains("boom"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "END RequestId: {id}\nREPORT RequestId: {id}\tDuration: "
        )),
        "{log}"
    );
    let r = one(
        &s,
        json!({"FunctionName": "hostile-chatty", "LogType": "Tail"}),
    );
    assert_eq!(r["Payload"], "still here");
    assert!(r["LogResult"].as_str().unwrap().len() <= 4096);
}

#[test]
fn event_answers_202_and_runs_in_the_background() {
    let s = Server::start("tests/guests/hostile");
    let r = one(
        &s,
        json!({"FunctionName": "hostile-cast", "InvocationType": "Event", "Payload": "{:msg \"from an event\"}"}),
    );
    // The payload must be JSON for the API; a JSON string holding EDN is.
    assert_eq!(r["Error"]["Code"], "InvalidRequestContentException", "{r}");
    let r = one(
        &s,
        json!({"FunctionName": "hostile-cast", "InvocationType": "Event", "Payload": "\"{:msg \\\"from an event\\\"}\""}),
    );
    assert_eq!(r["StatusCode"], 202, "{r}");
    assert_eq!(r["Payload"], "");
    let line = s.wait_for_log("ion::cast");
    assert!(line.contains(r#"\"msg\":\"from an event\""#), "{line}");
}

/// Hardening round 2, item 5: accepted Events hold at most 64 MiB of a node's memory;
/// past that the node throttles them, as AWS does.
#[test]
fn events_past_the_queue_bound_get_too_many_requests() {
    let s = Server::start("tests/guests/hostile");
    // hostile-park runs one call at a time for a minute: every Event accepted stays queued.
    let url = format!("{}/2015-03-31/functions/hostile-park/invocations", s.lambda);
    let payload = format!("\"{}\"", "x".repeat((256 << 10) - 2)); // 256 KiB, the most
    let mut statuses = Vec::new();
    while statuses.len() < 300 {
        let mut r = agent()
            .post(&url)
            .header("X-Amz-Invocation-Type", "Event")
            .send(&payload)
            .unwrap();
        let status = r.status().as_u16();
        if status == 429 {
            let kind = r.headers().get("x-amzn-errortype").cloned();
            assert_eq!(kind.unwrap(), "TooManyRequestsException");
            let body = r.body_mut().read_to_string().unwrap();
            assert!(body.contains("limit of 64 MiB"), "{body}");
        }
        statuses.push(status);
    }
    let first_refused = statuses.iter().position(|s| *s != 202);
    assert_eq!(
        first_refused,
        Some(256),
        "64 MiB holds 256 Events of 256 KiB"
    );
    assert!(statuses[256..].iter().all(|s| *s == 429), "{statuses:?}");
    // Synchronous calls are not queued, and go on.
    let ok = format!("{}/2015-03-31/functions/hostile-ok/invocations", s.lambda);
    assert_eq!(agent().post(&ok).send("{}").unwrap().status(), 200);
}

#[test]
fn dry_run_answers_204_and_runs_nothing() {
    let s = Server::start("tests/guests/hostile");
    let r = one(
        &s,
        json!({"FunctionName": "hostile-panic", "InvocationType": "DryRun"}),
    );
    assert_eq!(r["StatusCode"], 204, "{r}");
    assert!(!s.log().contains("panicked"));
}

#[test]
fn unknown_functions_are_resource_not_found() {
    let s = Server::start("tests/guests/hostile");
    let results = s.boto(json!([
        {"FunctionName": "hostile-nope"},
        {"FunctionName": "other-group-ok"},
        {"FunctionName": "hostile-ok", "Qualifier": "7"},
    ]));
    for r in results {
        assert_eq!(r["Error"]["Code"], "ResourceNotFoundException", "{r}");
        assert_eq!(r["Error"]["HTTPStatusCode"], 404);
    }
}

#[test]
fn past_the_concurrency_limit_callers_get_too_many_requests() {
    let s = Server::start("tests/guests/hostile");
    // :hold has :concurrency-limit 2 and spins until its 5 s timeout: ample time for the
    // third call even on a loaded machine.
    let lambda = s.lambda.clone();
    let spin = move || {
        let url = format!("{lambda}/2015-03-31/functions/hostile-hold/invocations");
        std::thread::spawn(move || agent().post(url).send("{}").unwrap().status().as_u16())
    };
    let third = s.boto_gated(json!([{"FunctionName": "hostile-hold"}]));
    let (a, b) = (spin(), spin());
    s.wait_until("two holds running", |h| {
        ion_edn::print(ion_edn::get(ion_edn::get(h, "lambdas").unwrap(), "hold").unwrap())
            == "{:in-flight 2}"
    });
    let r = third.go().remove(0);
    assert_eq!(r["Error"]["Code"], "TooManyRequestsException", "{r}");
    assert_eq!(r["Error"]["HTTPStatusCode"], 429);
    assert_eq!((a.join().unwrap(), b.join().unwrap()), (200, 200));
}

#[test]
fn a_timeout_is_a_function_error() {
    let s = Server::start("tests/guests/hostile");
    let r = one(&s, json!({"FunctionName": "hostile-spin"}));
    assert_eq!(r["FunctionError"], "Unhandled", "{r}");
    let body: Value = serde_json::from_str(r["Payload"].as_str().unwrap()).unwrap();
    assert_eq!(body["errorType"], "Sandbox.Timedout");
    assert_eq!(
        body["errorMessage"],
        "hostile/spin timed out after 1 s (its :timeout-secs)"
    );
}

#[test]
fn the_ion_sees_the_lambda_context_and_client_context() {
    let s = Server::start("tests/guests/hostile");
    let cc = base64::engine::general_purpose::STANDARD
        .encode(r#"{"custom":{"tenant":"t1"},"client":{"app_title":"tests"}}"#);
    let r = one(
        &s,
        json!({"FunctionName": "hostile-context", "ClientContext": cc}),
    );
    let ctx = ion_edn::read(r["Payload"].as_str().unwrap()).unwrap();
    let get = |k: &str| ion_edn::print(ion_edn::get(&ctx, k).unwrap());
    assert_eq!(get("functionName"), "\"hostile-context\"");
    assert_eq!(
        get("awsRequestId"),
        format!("\"{}\"", r["RequestId"].as_str().unwrap())
    );
    assert_eq!(
        get("invokedFunctionArn"),
        "\"arn:aws:lambda:local:000000000000:function:hostile-context\""
    );
    assert_eq!(get("memoryLimitInMB"), "128");
    assert_eq!(
        get("clientContext"),
        "{:client {:app_title \"tests\"}, :custom {:tenant \"t1\"}}"
    );
    let remaining: i64 = get("remainingTimeInMillis").parse().unwrap();
    assert!(remaining > 50_000 && remaining <= 60_000, "{remaining}");
}

#[test]
fn bad_requests_get_aws_errors() {
    let s = Server::start("tests/guests/hostile");
    let url = format!("{}/2015-03-31/functions/hostile-ok/invocations", s.lambda);
    let r = agent().post(&url).send("{not json").unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers().get("x-amzn-errortype").unwrap(),
        "InvalidRequestContentException"
    );
    let big = format!("\"{}\"", "x".repeat(6 * 1024 * 1024));
    let r = agent().post(&url).send(big.as_bytes()).unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.headers().get("x-amzn-errortype").unwrap(),
        "RequestTooLargeException"
    );
    let r = agent()
        .post(&url)
        .header("x-amz-invocation-type", "Later")
        .send("{}")
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// API Gateway's sample events (tests/cases/api-gateway), pointed at the web ion's /echo.
fn sample(name: &str, version: &str) -> String {
    let text = std::fs::read_to_string(
        crate::support::repo()
            .join("tests/cases/api-gateway")
            .join(name),
    )
    .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    match version {
        "1" => event["path"] = "/echo".into(),
        _ => event["rawPath"] = "/echo".into(),
    }
    event.to_string()
}

#[test]
fn api_gateway_v1_and_v2_events_reach_the_web_ion_and_answer_proxy_responses() {
    let s = Server::start("tests/guests/hostile");
    for (file, version, method) in [
        ("rest-v1.json", "1", "post"),
        ("http-v1.json", "1", "get"),
        ("http-v2.json", "2", "post"),
    ] {
        let r = one(
            &s,
            json!({"FunctionName": "hostile-proxy", "Payload": sample(file, version)}),
        );
        assert_eq!(r["FunctionError"], Value::Null, "{file}: {r}");
        let proxy: Value = serde_json::from_str(r["Payload"].as_str().unwrap()).unwrap();
        assert_eq!(proxy["statusCode"], 200, "{file}: {proxy}");
        assert_eq!(proxy["isBase64Encoded"], false);
        assert_eq!(proxy["headers"]["content-type"], "application/edn");
        let map = ion_edn::read(proxy["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            ion_edn::get(&map, "request-method"),
            Some(&ion_edn::keyword(method)),
            "{file}"
        );
        assert_eq!(
            ion_edn::get(&map, "uri"),
            Some(&ion_edn::string("/echo")),
            "{file}"
        );
    }
    // Binary responses go base64.
    let mut event: Value = serde_json::from_str(&sample("rest-v1-binary.json", "1")).unwrap();
    event["path"] = "/bytes".into();
    let r = one(
        &s,
        json!({"FunctionName": "hostile-proxy", "Payload": event.to_string()}),
    );
    let proxy: Value = serde_json::from_str(r["Payload"].as_str().unwrap()).unwrap();
    assert_eq!(proxy["isBase64Encoded"], true, "{proxy}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(proxy["body"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, (0..=255u8).collect::<Vec<u8>>());
    // Something that is not an API Gateway event is the caller's mistake.
    let r = one(
        &s,
        json!({"FunctionName": "hostile-proxy", "Payload": "{\"hello\":1}"}),
    );
    assert_eq!(r["FunctionError"], "Unhandled");
    assert!(
        r["Payload"].as_str().unwrap().contains("API Gateway event"),
        "{r}"
    );
}
