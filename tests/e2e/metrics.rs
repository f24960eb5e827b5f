//! The admin listener's Prometheus endpoint, read after real calls: counts, error
//! categories, timeouts, durations, memory, cast metrics and throttling, with their labels.

use crate::server::{Server, TOKEN, agent};
use serde_json::json;

fn metrics(s: &Server) -> String {
    let mut r = agent()
        .get(format!("{}/metrics", s.admin))
        .header("authorization", format!("Bearer {TOKEN}"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    r.body_mut().read_to_string().unwrap()
}

/// The value of the sample `series` (name and labels exactly), or a panic showing the text.
fn sample(text: &str, series: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ').map(str::to_owned))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

#[test]
fn metrics_count_real_calls_by_ion_kind_and_category() {
    let s = Server::start("tests/guests/hostile");
    let results = s.boto(json!([
        {"FunctionName": "hostile-ok", "Payload": "{}"},
        {"FunctionName": "hostile-ok", "Payload": "{}"},
        {"FunctionName": "hostile-fail", "Payload": "{}"},
        {"FunctionName": "hostile-spin", "Payload": "{}"},
        {"FunctionName": "hostile-cast", "Payload": "\"{:name :hostile/latency :value 12 :units :msec}\""},
        {"FunctionName": "hostile-cast", "Payload": "\"{:name :hostile/latency :value 30 :units :msec}\""},
        {"FunctionName": "hostile-cast", "Payload": "\"{:msg \\\"hello\\\"}\""},
    ]));
    assert_eq!(
        results[4]["FunctionError"],
        serde_json::Value::Null,
        "{}",
        results[4]
    );
    let r = agent().get(format!("{}/echo", s.http)).call().unwrap();
    assert_eq!(r.status(), 200);

    // Without the token the endpoint is refused like the rest of the admin API.
    let refused = agent().get(format!("{}/metrics", s.admin)).call().unwrap();
    assert_eq!(refused.status(), 401);

    let text = metrics(&s);
    let ion =
        |name: &str, kind: &str| format!("{{app=\"hostile\",ion=\"{name}\",kind=\"{kind}\"}}");
    assert_eq!(
        sample(
            &text,
            &format!("ion_calls_total{}", ion("hostile/ok", "lambda"))
        ),
        "2"
    );
    assert_eq!(
        sample(
            &text,
            &format!("ion_calls_total{}", ion("hostile/web", "web"))
        ),
        "1"
    );
    assert_eq!(
        sample(
            &text,
            "ion_call_errors_total{app=\"hostile\",ion=\"hostile/fail\",kind=\"lambda\",category=\"conflict\"}"
        ),
        "1"
    );
    assert_eq!(
        sample(
            &text,
            &format!("ion_calls_timed_out_total{}", ion("hostile/spin", "lambda"))
        ),
        "1"
    );
    assert!(
        !text.contains("ion_call_errors_total{app=\"hostile\",ion=\"hostile/ok\""),
        "a good call counted as an error:\n{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "ion_call_duration_seconds_count{}",
                ion("hostile/ok", "lambda")
            )
        ),
        "2"
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "ion_instance_memory_bytes_count{}",
                ion("hostile/ok", "lambda")
            )
        ),
        "2"
    );
    // cast/metric keeps the last value and the sum; every cast is counted by type.
    let latency = "{app=\"hostile\",name=\"hostile/latency\",units=\"msec\"}";
    assert_eq!(sample(&text, &format!("ion_cast_metric{latency}")), "30.0");
    assert_eq!(
        sample(&text, &format!("ion_cast_metric_sum_total{latency}")),
        "42.0"
    );
    assert_eq!(
        sample(&text, "ion_casts_total{app=\"hostile\",type=\"metric\"}"),
        "2"
    );
    assert_eq!(
        sample(&text, "ion_casts_total{app=\"hostile\",type=\"event\"}"),
        "1"
    );
    // Every call has finished, so no instance is alive.
    assert_eq!(sample(&text, "ion_instances_alive"), "0");
    assert!(text.contains("ion_compile_cache_total{result="), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

#[test]
fn metrics_count_throttled_http_direct_requests() {
    // hostile's HTTP Direct runs one request and queues one: a third is throttled.
    let s = Server::start("tests/guests/hostile");
    let url = format!("{}/sleep?ms=3000", s.http);
    let held: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || agent().get(url).call().map(|r| r.status()))
        })
        .collect();
    s.wait_until("two requests admitted", |h| {
        ion_edn::get(h, "http-direct")
            .and_then(|d| ion_edn::get(d, "admitted"))
            .is_some_and(|a| *a == ion_edn::Edn::Int(2))
    });
    let third = agent().get(format!("{}/echo", s.http)).call().unwrap();
    assert_eq!(third.status(), 503);
    // The waiting request is counted in the queue once it reaches the semaphore.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let text = metrics(&s);
        if sample(&text, "ion_queue_depth{listener=\"http-direct\"}") == "1"
            || std::time::Instant::now() > deadline
        {
            break text;
        }
    };
    assert_eq!(
        sample(&text, "ion_queue_depth{listener=\"http-direct\"}"),
        "1"
    );
    assert_eq!(
        sample(&text, "ion_calls_throttled_total{listener=\"http-direct\"}"),
        "1"
    );
    for h in held {
        let _ = h.join();
    }
}
