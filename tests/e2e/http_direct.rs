//! HTTP Direct over loopback against real web ions.

use crate::server::{Server, TOKEN, agent};
use ion_edn::Edn;

fn read_edn(r: &mut ureq::http::Response<ureq::Body>) -> Edn<'static> {
    ion_edn::read(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn get<'a>(map: &'a Edn<'static>, key: &str) -> &'a Edn<'static> {
    ion_edn::get(map, key).unwrap_or_else(|| panic!("no :{key} in {}", ion_edn::print(map)))
}

#[test]
fn the_web_ion_gets_the_reference_request_map() {
    let s = Server::start("tests/guests/hostile");
    let mut r = agent()
        .post(format!("{}/echo?type=shirt&size=M", s.http))
        .header("x-custom", "one")
        .header("content-type", "text/plain")
        .send("hello body")
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-request-id").is_some());
    let map = read_edn(&mut r);
    let port: i64 = s.http.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(get(&map, "request-method"), &ion_edn::keyword("post"));
    assert_eq!(get(&map, "uri"), &ion_edn::string("/echo"));
    assert_eq!(
        get(&map, "query-string"),
        &ion_edn::string("type=shirt&size=M")
    );
    assert_eq!(get(&map, "protocol"), &ion_edn::string("HTTP/1.1"));
    assert_eq!(get(&map, "remote-addr"), &ion_edn::string("127.0.0.1"));
    assert_eq!(get(&map, "scheme"), &ion_edn::keyword("http"));
    assert_eq!(get(&map, "server-name"), &ion_edn::string("127.0.0.1"));
    assert_eq!(get(&map, "server-port"), &Edn::Int(port));
    assert_eq!(get(&map, "body"), &ion_edn::string("hello body"));
    let headers = get(&map, "headers");
    assert_eq!(ion_edn::print(get_str(headers, "x-custom")), "\"one\"");
    assert_eq!(
        ion_edn::print(get_str(headers, "content-type")),
        "\"text/plain\""
    );
}

fn get_str<'a>(map: &'a Edn<'static>, key: &str) -> &'a Edn<'static> {
    match map {
        Edn::Map(m) => m
            .get(&ion_edn::string(key))
            .unwrap_or_else(|| panic!("no {key} in {}", ion_edn::print(map))),
        _ => panic!("not a map"),
    }
}

#[test]
fn every_method_reaches_the_ion() {
    let s = Server::start("tests/guests/hostile");
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}/echo", s.http))
            .body(())
            .unwrap();
        let mut r = agent().run(req).unwrap();
        assert_eq!(r.status(), 200, "{method}");
        assert_eq!(
            get(&read_edn(&mut r), "request-method"),
            &ion_edn::keyword(&method.to_lowercase())
        );
    }
}

#[test]
fn binary_bodies_cross_both_ways_unchanged() {
    let s = Server::start("tests/guests/hostile");
    let body: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let mut r = agent()
        .post(format!("{}/body", s.http))
        .header("content-type", "application/octet-stream")
        .send(&body[..])
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.body_mut()
            .with_config()
            .limit(10 << 20)
            .read_to_vec()
            .unwrap(),
        body
    );
    let mut r = agent().get(format!("{}/bytes", s.http)).call().unwrap();
    assert_eq!(
        r.body_mut().read_to_vec().unwrap(),
        (0..=255u8).collect::<Vec<u8>>()
    );
}

#[test]
fn repeated_response_headers_are_kept() {
    let s = Server::start("tests/guests/hostile");
    let r = agent().get(format!("{}/cookies", s.http)).call().unwrap();
    let cookies: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2; Path=/"]);
}

#[test]
fn ion_errors_become_statuses_with_the_anomaly_map() {
    let s = Server::start("tests/guests/hostile");
    let mut r = agent().get(format!("{}/fail", s.http)).call().unwrap();
    assert_eq!(r.status(), 409);
    let id = r
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let map = read_edn(&mut r);
    assert_eq!(
        get(&map, "cognitect.anomalies/category"),
        &ion_edn::keyword("cognitect.anomalies/conflict")
    );
    assert_eq!(get(&map, "hostile/order-id"), &Edn::Int(42));
    assert_eq!(get(&map, "ion/request-id"), &ion_edn::string(id.clone()));
    let mut r = agent().get(format!("{}/panic", s.http)).call().unwrap();
    assert_eq!(r.status(), 500);
    let text = r.body_mut().read_to_string().unwrap();
    assert!(text.contains("hostile/web panicked: web boom"), "{text}");
    // The failing call is logged under the request id the client got.
    let line = s.wait_for_log(&id);
    assert!(line.contains("web ion failed"), "{line}");
    let r = agent()
        .get(format!("{}/status?code=418", s.http))
        .call()
        .unwrap();
    assert_eq!(r.status(), 418);
}

#[test]
fn past_the_queue_the_configured_code_and_message_answer_at_once() {
    // hostile's :http-direct runs one request and queues one.
    let s = Server::start("tests/guests/hostile");
    let slow = |ms: u64| {
        let url = format!("{}/sleep?ms={ms}", s.http);
        std::thread::spawn(move || agent().get(url).call().unwrap().status().as_u16())
    };
    let first = slow(5000);
    s.wait_until("one request running", |h| {
        ion_edn::print(get(h, "http-direct")) == "{:admitted 1}"
    });
    let second = slow(10);
    s.wait_until("one request queued", |h| {
        ion_edn::print(get(h, "http-direct")) == "{:admitted 2}"
    });
    let mut r = agent().get(format!("{}/echo", s.http)).call().unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.body_mut().read_to_string().unwrap(), "Slow down");
    assert_eq!((first.join().unwrap(), second.join().unwrap()), (200, 200));
    let r = agent().get(format!("{}/echo", s.http)).call().unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn sigterm_finishes_calls_in_flight_then_exits_0() {
    let s = Server::start("tests/guests/hostile");
    let url = format!("{}/sleep?ms=2000", s.http);
    let in_flight = std::thread::spawn(move || {
        let mut r = agent().get(url).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    });
    s.wait_until("the request running", |h| {
        ion_edn::print(get(h, "http-direct")) == "{:admitted 1}"
    });
    let http = s.http.clone();
    let status = s.terminate();
    assert_eq!(in_flight.join().unwrap(), (200, "slept 2000 ms".to_owned()));
    assert!(status.success(), "{status:?}");
    assert!(
        agent().get(format!("{http}/echo")).call().is_err(),
        "the node still accepts connections"
    );
}

#[test]
fn the_admin_api_needs_the_token() {
    let s = Server::start("tests/guests/hostile");
    let r = agent().get(format!("{}/health", s.admin)).call().unwrap();
    assert_eq!(r.status(), 401);
    let r = agent()
        .get(format!("{}/health", s.admin))
        .header("authorization", "Bearer wrong")
        .call()
        .unwrap();
    assert_eq!(r.status(), 401);
    let mut r = agent()
        .get(format!("{}/app", s.admin))
        .header("authorization", format!("Bearer {TOKEN}"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let app = r.body_mut().read_to_string().unwrap();
    assert!(
        app.contains("{:name hostile/web, :kind \"web ion\"}"),
        "{app}"
    );
}

#[test]
fn the_admin_listener_refuses_to_start_without_a_token() {
    let dir = crate::support::app("tests/guests/hostile");
    let out = crate::support::host()
        .args(["serve", "--no-build", "--app"])
        .arg(dir)
        .args(["--admin", "127.0.0.1:0"])
        .env_remove("ION_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--admin needs a bearer token: set ION_ADMIN_TOKEN or pass --admin-token-file"
        ),
        "{err}"
    );
}

#[test]
fn a_plain_wasi_http_component_serves_unchanged() {
    let s = Server::start_with("tests/guests/wasi-http", &[]);
    let body: Vec<u8> = vec![7u8; 200_000];
    let mut r = agent()
        .put(format!("{}/a/b?c=1", s.http))
        .header("x-test", "yes")
        .send(&body[..])
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.body_mut().read_to_string().unwrap(),
        "PUT /a/b?c=1 body=200000 x-test=yes"
    );
}
