//! What a node logs: `cast` events as JSON lines carrying app, revision, group, node, ion
//! and request id; and `host logs`, which reads a node's recent lines (an ion's alone with
//! `--ion`) and follows new ones.

use crate::server::{Server, TOKEN};
use crate::support::{host, stdout};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn cast(s: &Server, msg: &str) -> String {
    let payload = format!("\"{{:msg \\\"{msg}\\\"}}\"");
    let r = s
        .boto(json!([{"FunctionName": "hostile-cast", "Payload": payload}]))
        .remove(0);
    assert_eq!(r["FunctionError"], Value::Null, "{r}");
    r["RequestId"].as_str().unwrap().to_owned()
}

#[test]
fn cast_events_are_json_lines_with_app_revision_group_node_ion_and_request_id() {
    let s = Server::start("tests/guests/hostile");
    let id = cast(&s, "hello-json");
    let line = s.wait_for_log("hello-json");
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(v["target"], "ion::cast", "{line}");
    assert_eq!(v["fields"]["type"], "Event", "{line}");
    assert_eq!(v["fields"]["app"], "hostile", "{line}");
    assert_eq!(v["fields"]["ion"], "hostile/cast", "{line}");
    assert_eq!(v["fields"]["request_id"], id.as_str(), "{line}");
    assert_eq!(v["fields"]["group"], "hostile", "{line}");
    assert_eq!(v["fields"]["node"], "local", "{line}");
    assert!(
        v["fields"]["revision"]
            .as_str()
            .is_some_and(|r| r.contains("hostile")),
        "{line}"
    );
    // The request and call spans are DEBUG spans: not formatted at the default level.
    assert!(v.get("spans").is_none(), "{line}");
}

#[test]
fn host_logs_prints_an_ions_lines_and_follows_new_ones() {
    let s = Server::start("tests/guests/hostile");
    cast(&s, "first-line");
    let failed = s
        .boto(json!([{"FunctionName": "hostile-fail", "Payload": "{}"}]))
        .remove(0);
    assert_eq!(failed["FunctionError"], "Unhandled");

    let out = host()
        .env("ION_ADMIN_TOKEN", TOKEN)
        .args(["logs", "--admin", &s.admin, "--ion", "hostile/cast"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("first-line"), "{text}");
    assert!(
        text.lines().all(|l| l.contains("hostile/cast")),
        "a line of another ion:\n{text}"
    );
    // A failing call's line belongs to its ion too.
    let out = host()
        .env("ION_ADMIN_TOKEN", TOKEN)
        .args(["logs", "--admin", &s.admin, "--ion", "hostile/fail"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("lambda failed") && !text.contains("first-line"),
        "{text}"
    );

    // Without the token the node refuses, and the command says so.
    let out = host()
        .env("ION_ADMIN_TOKEN", "wrong")
        .args(["logs", "--admin", &s.admin])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let mut follow = host()
        .env("ION_ADMIN_TOKEN", TOKEN)
        .args([
            "logs",
            "--admin",
            &s.admin,
            "--ion",
            "hostile/cast",
            "--follow",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let mut until = |needle: &str| {
        for line in lines.by_ref() {
            if line.unwrap().contains(needle) {
                return;
            }
        }
        panic!("host logs --follow ended before {needle}");
    };
    until("first-line");
    cast(&s, "second-line");
    until("second-line");
    follow.kill().unwrap();
    let _ = follow.wait();
}

/// A collector that accepts OTLP/HTTP posts over loopback and hands over each body.
fn collector() -> (String, std::sync::mpsc::Receiver<Value>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                loop {
                    let mut length = 0;
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    assert!(line.starts_with("POST /v1/traces "), "{line}");
                    loop {
                        line.clear();
                        reader.read_line(&mut line).unwrap();
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .unwrap();
                    let _ = tx.send(serde_json::from_slice(&body).unwrap());
                }
            });
        }
    });
    (url, rx)
}

#[test]
fn calls_export_otlp_spans_whose_trace_id_is_the_request_id() {
    let (url, bodies) = collector();
    let s = Server::start_with("tests/guests/hostile", &["--otlp-endpoint", &url]);
    let id = cast(&s, "traced");
    let trace = id.replace('-', "");
    // Batches arrive every half second; wait for the one holding this call.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut spans: Vec<Value> = Vec::new();
    while !(spans.iter().any(|s| s["name"] == "call")
        && spans.iter().any(|s| s["name"] == "request"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let body = bodies
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no span of trace {trace} exported; got {spans:?}"));
        let resource = &body["resourceSpans"][0];
        assert_eq!(
            resource["resource"]["attributes"][0]["value"]["stringValue"],
            "ion-host"
        );
        for span in resource["scopeSpans"][0]["spans"].as_array().unwrap() {
            if span["traceId"] == trace.as_str() {
                spans.push(span.clone());
            }
        }
    }
    let call = spans.iter().find(|s| s["name"] == "call").unwrap();
    let request = spans.iter().find(|s| s["name"] == "request").unwrap();
    assert_eq!(call["parentSpanId"], request["spanId"], "{spans:?}");
    let attr = |span: &Value, key: &str| {
        span["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"]["stringValue"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(attr(call, "ion"), "hostile/cast");
    assert_eq!(attr(call, "request_id"), id.as_str());
    assert_eq!(attr(request, "listener"), "lambda-api");
    let (start, end) = (
        call["startTimeUnixNano"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap(),
        call["endTimeUnixNano"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap(),
    );
    assert!(start > 0 && end >= start, "{call}");
}
