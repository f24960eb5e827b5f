//! The conformance cases: each takes the served starter and asserts one behaviour of the
//! starter contract (docs/conformance.md). Values are compared as EDN or JSON values, not
//! as text, so each SDK may print in its own order.

use super::subject::{DB, PARAMS, Subject, fill_tutorial};
use crate::support::{stderr, stdout};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ion_edn::{Edn, keyword, string};
use serde_json::json;

type Case = fn(&Subject);

/// Every case, by name.
pub const ALL: &[(&str, Case)] = &[
    (
        "lambda echo returns unicode input unchanged",
        lambda_echo_unicode,
    ),
    ("lambda echo carries 1 MiB", lambda_echo_one_mebibyte),
    (
        "lambda get-schema is the tutorial schema",
        lambda_get_schema,
    ),
    (
        "lambda get-items-by-type queries the database",
        lambda_items_by_type,
    ),
    ("lambda bad input is an incorrect error", lambda_bad_input),
    ("lambda errors of every category", lambda_every_category),
    ("lambda context reaches the ion", lambda_context),
    ("web GET / says hello", web_hello),
    (
        "web /instance: module state starts fresh in every call",
        web_instance,
    ),
    ("web /items runs a query; no type is a 400", web_items),
    ("web echo is binary safe", web_echo_binary),
    ("web echo carries 1 MiB", web_echo_one_mebibyte),
    ("web unicode bodies", web_unicode),
    ("web request map", web_request_map),
    ("web env and app info", web_env),
    ("web params and app params", web_params),
    (
        "web cast of each kind; a malformed cast is refused",
        web_cast,
    ),
    (
        "web errors of every category have their status",
        web_every_category,
    ),
    ("web EDN round trip through the SDK", web_edn_round_trip),
    ("web an uncaught exception is a fault", web_crash),
    ("web unknown route is a 404", web_not_found),
    ("api gateway v1 and v2 proxy events", api_gateway),
    ("tx-fn create-item and its arity error", tx_fn),
    ("query-fn in a query and its type error", query_fn),
    ("xform in a pull and its type error", xform),
];

const CATEGORIES: [(&str, u16); 9] = [
    ("incorrect", 400),
    ("forbidden", 403),
    ("not-found", 404),
    ("conflict", 409),
    ("fault", 500),
    ("unavailable", 503),
    ("busy", 429),
    ("interrupted", 504),
    ("unsupported", 501),
];

const UNICODE: &str = "Zoë Ünïcödé — 日本語 🚀 \u{1F469}\u{200D}\u{1F52C} \"quoted\" \\ \n\t";

/// 1 MiB of bytes that are not text: every byte value, in a scrambled order.
fn mebibyte() -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn lambda_echo_unicode(s: &Subject) {
    let payload = json!({"name": UNICODE, "nested": {"list": [1, 2.5, null, true]}}).to_string();
    let r = s.lambda("echo", payload.as_bytes(), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.function_error, None, "{}", r.text());
    assert_eq!(r.text(), payload);
}

fn lambda_echo_one_mebibyte(s: &Subject) {
    let text: String = BASE64.encode(mebibyte());
    let payload = serde_json::to_string(&text[..(1 << 20) - 2]).unwrap();
    assert_eq!(payload.len(), 1 << 20);
    let r = s.lambda("echo", payload.as_bytes(), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.body == payload.as_bytes(),
        "the 1 MiB echo came back changed"
    );
}

fn tutorial_schema_idents(v: &Edn<'static>) -> Vec<String> {
    let Edn::Vector(maps) = v else {
        panic!("get-schema returned {}", ion_edn::print(v))
    };
    maps.iter()
        .map(|m| ion_edn::print(ion_edn::get(m, "db/ident").expect(":db/ident")))
        .collect()
}

fn lambda_get_schema(s: &Subject) {
    let r = s.lambda("get-schema", b"{}", &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let schema = ion_edn::read(&r.text()).unwrap();
    assert_eq!(
        tutorial_schema_idents(&schema),
        [
            ":inv/sku",
            ":inv/color",
            ":inv/size",
            ":inv/type",
            ":inv/count"
        ]
    );
}

fn shirts() -> Edn<'static> {
    ion_edn::read(r#"#{["SKU-1" :small :red] ["SKU-21" :large :blue]}"#).unwrap()
}

/// A query result (a collection of tuples, in no set order) as a set.
fn result_set(text: &str) -> Edn<'static> {
    let value = ion_edn::read(text.trim());
    match &value {
        Ok(Edn::Vector(v)) | Ok(Edn::List(v)) => Edn::Set(v.iter().cloned().collect()),
        Ok(Edn::Set(s)) => Edn::Set(s.clone()),
        other => panic!("not a query result: {text} ({other:?})"),
    }
}

fn lambda_items_by_type(s: &Subject) {
    let r = s.lambda("get-items-by-type", br#"{"type": "shirt"}"#, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(result_set(&r.text()), shirts(), "{}", r.text());
}

fn assert_lambda_error(r: &super::subject::Lambda, error_type: &str) -> serde_json::Value {
    assert_eq!(
        r.function_error.as_deref(),
        Some("Unhandled"),
        "{}",
        r.text()
    );
    let body = r.json();
    assert_eq!(body["errorType"], error_type, "{body}");
    body
}

fn lambda_bad_input(s: &Subject) {
    for payload in [&b"{}"[..], b"[1, 2]", br#"{"type": 7}"#] {
        let r = s.lambda("get-items-by-type", payload, &[]);
        let body = assert_lambda_error(&r, "cognitect.anomalies/incorrect");
        assert!(
            body["errorMessage"].as_str().unwrap().contains("type"),
            "{body}"
        );
    }
}

fn lambda_every_category(s: &Subject) {
    for (category, _) in CATEGORIES {
        let message = format!("failing as {category}: {UNICODE}");
        let payload = json!({"category": category, "message": message}).to_string();
        let r = s.lambda("fail", payload.as_bytes(), &[]);
        let expected = if category == "interrupted" {
            "Sandbox.Timedout".to_owned()
        } else {
            format!("cognitect.anomalies/{category}")
        };
        let body = assert_lambda_error(&r, &expected);
        assert_eq!(body["errorMessage"], message.as_str(), "{body}");
        let anomaly = ion_edn::read(body["anomaly"].as_str().unwrap()).unwrap();
        assert_eq!(
            ion_edn::get(&anomaly, "ion.starter/category"),
            Some(&string(category)),
            "the error's data did not cross: {}",
            ion_edn::print(&anomaly)
        );
    }
    let r = s.lambda("fail", br#"{"category": "sideways", "message": "m"}"#, &[]);
    let body = assert_lambda_error(&r, "cognitect.anomalies/incorrect");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("unknown category: sideways"),
        "{body}"
    );
}

fn lambda_context(s: &Subject) {
    let client_context = BASE64.encode(json!({"custom": {"tenant": "acme-ü"}}).to_string());
    let r = s.lambda(
        "context",
        b"{}",
        &[("x-amz-client-context", &client_context)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let c = r.json();
    let function = format!("{}-context", s.app_name);
    assert_eq!(c["functionName"], function.as_str(), "{c}");
    assert_eq!(c["awsRequestId"].as_str(), r.request_id.as_deref(), "{c}");
    assert_eq!(c["functionVersion"], "$LATEST", "{c}");
    assert!(
        c["invokedFunctionArn"]
            .as_str()
            .unwrap()
            .ends_with(&function),
        "{c}"
    );
    assert_eq!(
        c["logGroupName"],
        format!("/aws/lambda/{function}").as_str(),
        "{c}"
    );
    assert!(
        c["logStreamName"].as_str().is_some_and(|l| !l.is_empty()),
        "{c}"
    );
    assert!(c["memoryLimitInMB"].as_u64().is_some_and(|m| m > 0), "{c}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(c["deadlineMs"].as_u64().is_some_and(|d| d > now), "{c}");
    let remaining = c["remainingTimeInMillis"].as_u64().expect("a number");
    assert!(remaining > 0 && remaining <= 900_000, "{c}");
    assert!(c["identity"].is_null(), "{c}");
    let client = ion_edn::read(c["clientContext"].as_str().expect("client context")).unwrap();
    assert!(
        ion_edn::print(&client).contains("acme-ü"),
        "{}",
        ion_edn::print(&client)
    );
}

fn web_hello(s: &Subject) {
    let r = s.web("GET", "/", None, b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    assert_eq!(r.text(), "Hello from ion.starter");
}

fn web_instance(s: &Subject) {
    // The starters do not ask for :instance-reuse: each call is a fresh instance's first.
    for _ in 0..2 {
        let r = s.web("GET", "/instance", None, b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let v = ion_edn::read(&r.text()).unwrap();
        assert_eq!(
            ion_edn::get(&v, "calls"),
            Some(&Edn::Int(1)),
            "{}",
            r.text()
        );
    }
}

fn web_items(s: &Subject) {
    let r = s.web("GET", "/items?type=shirt", None, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.content_type.as_deref(), Some("application/edn"));
    assert_eq!(result_set(&r.text()), shirts());
    let r = s.web("GET", "/items", None, b"");
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), "missing query parameter: type");
}

fn web_echo_binary(s: &Subject) {
    let all: Vec<u8> = (0..=255u8).rev().collect();
    let r = s.web("POST", "/echo", Some("application/x-conformance"), &all);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.content_type.as_deref(), Some("application/x-conformance"));
    assert_eq!(r.body, all);
    let r = s.web("POST", "/echo", None, &[0, 159, 146, 150, 255]);
    assert_eq!(r.content_type.as_deref(), Some("application/octet-stream"));
    assert_eq!(r.body, [0, 159, 146, 150, 255]);
}

fn web_echo_one_mebibyte(s: &Subject) {
    let body = mebibyte();
    let r = s.web("POST", "/echo", Some("application/octet-stream"), &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body == body, "the 1 MiB body came back changed");
}

fn web_unicode(s: &Subject) {
    let r = s.web(
        "POST",
        "/echo",
        Some("text/plain; charset=utf-8"),
        UNICODE.as_bytes(),
    );
    assert_eq!(r.text(), UNICODE);
    let edn = ion_edn::quote(UNICODE);
    let r = s.web("POST", "/edn", Some("application/edn"), edn.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.edn(), string(UNICODE));
}

fn web_request_map(s: &Subject) {
    let port: i64 = s.server.http.rsplit(':').next().unwrap().parse().unwrap();
    let req = ureq::http::Request::builder()
        .method("GET")
        .uri(format!("{}/request?a=1&b=%C3%BC", s.server.http))
        .header("x-conformance", "one")
        .header("x-conformance", "two")
        .body(Vec::new())
        .unwrap();
    let mut r = crate::server::agent().run(req).unwrap();
    assert_eq!(r.status(), 200);
    let map = ion_edn::read(&r.body_mut().read_to_string().unwrap()).unwrap();
    let get = |k: &str| {
        ion_edn::get(&map, k)
            .cloned()
            .unwrap_or_else(|| panic!("no :{k} in {}", ion_edn::print(&map)))
    };
    assert_eq!(get("request-method"), keyword("get"));
    assert_eq!(get("uri"), string("/request"));
    assert_eq!(get("query-string"), string("a=1&b=%C3%BC"));
    assert_eq!(get("protocol"), string("HTTP/1.1"));
    assert_eq!(get("remote-addr"), string("127.0.0.1"));
    assert_eq!(get("scheme"), keyword("http"));
    assert_eq!(get("server-name"), string("127.0.0.1"));
    assert_eq!(get("server-port"), Edn::Int(port));
    assert_eq!(get("body-length"), Edn::Int(0));
    let headers = ion_edn::print(&get("headers"));
    assert!(
        headers.contains(r#"["x-conformance" "one"] ["x-conformance" "two"]"#)
            || headers.contains(r#"["x-conformance" "one"], ["x-conformance" "two"]"#),
        "repeated headers lost their order: {headers}"
    );
}

fn web_env(s: &Subject) {
    let r = s.web("GET", "/env", None, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let map = r.edn();
    assert_eq!(
        ion_edn::get(&map, "env"),
        Some(&ion_edn::read("{:env :conformance}").unwrap()),
        "{}",
        r.text()
    );
    let info = ion_edn::get(&map, "app-info").expect(":app-info");
    assert_eq!(
        ion_edn::get(info, "app-name"),
        Some(&string(&s.app_name)),
        "{}",
        r.text()
    );
}

fn web_params(s: &Subject) {
    let r = s.web("GET", "/params?path=/conformance/", None, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let expected = format!(
        "{{\"greeting\" {} \"nested/deeper\" {}}}",
        ion_edn::quote(PARAMS[0].1),
        ion_edn::quote(PARAMS[1].1)
    );
    assert_eq!(r.edn(), ion_edn::read(&expected).unwrap(), "{}", r.text());
    let r = s.web("GET", "/params", None, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let expected = format!("{{\"db-name\" {}}}", ion_edn::quote(DB));
    assert_eq!(r.edn(), ion_edn::read(&expected).unwrap(), "{}", r.text());
}

fn web_cast(s: &Subject) {
    let marker = format!("conformance-{}-{}", s.app_name, std::process::id());
    let casts = [
        (
            "event",
            format!("{{:msg \"{marker} event ü\" :ion.starter/n 1}}"),
        ),
        ("alert", format!("{{:msg \"{marker} alert\" :ex \"boom\"}}")),
        (
            "metric",
            "{:name :ion.starter/latency :value 12 :units :msec}".to_owned(),
        ),
        ("dev", format!("{{:msg \"{marker} dev\"}}")),
    ];
    for (kind, body) in &casts {
        let r = s.web(
            "POST",
            &format!("/cast?kind={kind}"),
            Some("application/edn"),
            body.as_bytes(),
        );
        assert_eq!(r.status, 204, "cast {kind}: {}", r.text());
        assert!(r.body.is_empty(), "cast {kind}: {}", r.text());
    }
    s.server.wait_for_log(&format!("{marker} event ü"));
    s.server.wait_for_log(&format!("{marker} alert"));
    let r = s.web(
        "POST",
        "/cast?kind=event",
        Some("application/edn"),
        b"{:no-msg 1}",
    );
    assert_eq!(r.status, 400, "a cast without :msg: {}", r.text());
    assert!(r.text().contains("msg"), "{}", r.text());
}

fn web_every_category(s: &Subject) {
    for (category, status) in CATEGORIES {
        let r = s.web(
            "GET",
            &format!("/fail?category={category}&message=as%20asked"),
            None,
            b"",
        );
        assert_eq!(r.status, status, "{category}: {}", r.text());
        assert!(r.text().contains("as asked"), "{category}: {}", r.text());
    }
}

/// `value` with every `#inst` replaced by its instant, so SDKs may print instants in
/// their own (equivalent) format.
fn normalise(value: &Edn<'static>) -> Edn<'static> {
    match value {
        Edn::Tagged(tag, inner) if tag.as_ref() == "inst" => match inner.as_ref() {
            Edn::Str(text) => Edn::Tagged(
                "inst".into(),
                Box::new(Edn::Int(
                    instant_ms(text).unwrap_or_else(|| panic!("#inst {text:?} is not an instant")),
                )),
            ),
            other => panic!("#inst of {}", ion_edn::print(other)),
        },
        Edn::Tagged(tag, inner) => Edn::Tagged(tag.clone(), Box::new(normalise(inner))),
        Edn::Vector(v) => Edn::Vector(v.iter().map(normalise).collect()),
        Edn::List(v) => Edn::List(v.iter().map(normalise).collect()),
        Edn::Set(v) => Edn::Set(v.iter().map(normalise).collect()),
        Edn::Map(m) => Edn::Map(
            m.iter()
                .map(|(k, v)| (normalise(k), normalise(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Milliseconds since the epoch of an RFC 3339 instant (`Z` or an offset, any fraction).
fn instant_ms(text: &str) -> Option<i64> {
    let num = |s: &str| s.parse::<i64>().ok();
    let (date, rest) = text.split_once('T')?;
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let (time, offset_min) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (t, off) = rest.split_at(at);
        let (h, mi) = off[1..].split_once(':')?;
        let minutes = num(h)? * 60 + num(mi)?;
        (
            t,
            if off.starts_with('-') {
                -minutes
            } else {
                minutes
            },
        )
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':');
    let (h, mi, sec) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    let ms = num(&format!("{frac:0<3}")[..3])?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + sec * 1000 + ms)
}

fn web_edn_round_trip(s: &Subject) {
    let values = [
        "nil",
        "[true false]",
        "[0 42 -7 9223372036854775807 -9223372036854775808]",
        "12345678901234567890123N",
        "[3.5 -0.25 1.0E300 ##Inf ##-Inf]",
        r#""tab\there \"q\" \\ back ü 🚀""#,
        r"[\a \newline \space \ü]",
        "[:kw :ns/kw :a.b/c-d? sym ns/sym + <=]",
        "(1 (2 [3 #{4}]))",
        r#"{:a 1 "b" [2] [1 2] #{3} {:nested :map} nil}"#,
        r#"#{1 :a "s" [1 2] #{}}"#,
        r#"[#inst "2024-02-29T12:34:56.789-00:00" #inst "1969-07-20T20:17:40Z"]"#,
        r#"#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6""#,
        r#"#my.app/thing [1 {:x "y"}]"#,
        "[] {} #{} ()",
    ];
    for text in values {
        let text = if text == "[] {} #{} ()" {
            "[[] {} #{} ()]"
        } else {
            text
        };
        let r = s.web("POST", "/edn", Some("application/edn"), text.as_bytes());
        assert_eq!(r.status, 200, "{text}: {}", r.text());
        assert_eq!(r.content_type.as_deref(), Some("application/edn"));
        let sent = ion_edn::read(text).unwrap();
        assert_eq!(
            normalise(&r.edn()),
            normalise(&sent),
            "{text} came back as {}",
            r.text()
        );
    }
    let r = s.web("POST", "/edn", Some("application/edn"), b"{:a");
    assert_eq!(r.status, 400, "unreadable EDN: {}", r.text());
}

fn web_crash(s: &Subject) {
    let r = s.web("GET", "/crash", None, b"");
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.text().contains("boom"), "{}", r.text());
}

fn web_not_found(s: &Subject) {
    let r = s.web("DELETE", "/nope/ü", None, b"");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.text(), "no route for delete /nope/ü");
}

fn api_gateway(s: &Subject) {
    let dir = crate::support::repo().join("tests/cases/api-gateway");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    // REST (payload 1.0): the binary sample, sent to /echo.
    let mut v1 = read("rest-v1-binary.json");
    v1["path"] = json!("/echo");
    v1["httpMethod"] = json!("POST");
    v1["headers"]["Content-Type"] = json!("image/png");
    v1["multiValueHeaders"] = json!({"Content-Type": ["image/png"]});
    let sent = BASE64.decode(v1["body"].as_str().unwrap()).unwrap();
    let r = s.lambda("items-by-type", v1.to_string().as_bytes(), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let out = r.json();
    assert_eq!(out["statusCode"], 200, "{out}");
    assert_eq!(out["isBase64Encoded"], true, "{out}");
    assert_eq!(BASE64.decode(out["body"].as_str().unwrap()).unwrap(), sent);
    // HTTP API (payload 2.0): a GET of /items?type=shirt.
    let mut v2 = read("http-v2.json");
    v2["rawPath"] = json!("/items");
    v2["rawQueryString"] = json!("type=shirt");
    v2["queryStringParameters"] = json!({"type": "shirt"});
    v2["requestContext"]["http"]["method"] = json!("GET");
    v2["requestContext"]["http"]["path"] = json!("/items");
    v2["body"] = json!(null);
    v2["isBase64Encoded"] = json!(false);
    let r = s.lambda("items-by-type", v2.to_string().as_bytes(), &[]);
    let out = r.json();
    assert_eq!(out["statusCode"], 200, "{out}");
    assert_eq!(result_set(out["body"].as_str().unwrap()), shirts());
    // The sample as AWS documents it: its path has no route.
    let r = s.lambda(
        "items-by-type",
        read("http-v1.json").to_string().as_bytes(),
        &[],
    );
    let out = r.json();
    assert_eq!(out["statusCode"], 404, "{out}");
    assert_eq!(out["body"], "no route for get /my/path", "{out}");
}

/// `host db --db-dir D --app APP --no-build ARGS...` on a database of the subject's own,
/// beside the node's (filled on first use), so the app's functions run through the CLI.
fn db_cli(s: &Subject, args: &[&str]) -> std::process::Output {
    let dir = s.home.join("cli-db");
    if !dir.join(DB).exists() {
        fill_tutorial(&s.dir, &s.home, Some(&dir));
    }
    let (dir, app) = (dir.to_str().unwrap(), s.dir.to_str().unwrap());
    s.host(
        &[
            &["db", "--db-dir", dir, "--app", app, "--no-build"][..],
            args,
        ]
        .concat(),
    )
}

fn tx_fn(s: &Subject) {
    let run = |args: &[&str]| db_cli(s, args);
    let out = run(&[
        "transact",
        DB,
        r#"[[ion.starter/create-item "SKU-99" "small" :green "dress-shoe"]]"#,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&[
        "q",
        DB,
        "[:find ?sku ?size ?color :where [?e :inv/type :dress-shoe] [?e :inv/sku ?sku] [?e :inv/size ?size] [?e :inv/color ?color]]",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        result_set(&stdout(&out)),
        ion_edn::read(r#"#{["SKU-99" :small :green]}"#).unwrap()
    );
    let out = run(&["transact", DB, r#"[[ion.starter/create-item "SKU-98"]]"#]);
    assert!(
        !out.status.success(),
        "a create-item with one argument committed"
    );
    assert!(stderr(&out).contains("incorrect"), "{}", stderr(&out));
}

fn query_fn(s: &Subject) {
    let out = db_cli(
        s,
        &[
            "q",
            DB,
            "[:find ?sku :where [?e :inv/sku ?sku] [(ion.starter/feature-item? ?sku)]]",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        result_set(&stdout(&out)),
        ion_edn::read(r#"#{["SKU-1"] ["SKU-21"]}"#).unwrap()
    );
    let out = s.invoke("ion.starter/feature-item?", "[\"SKU-2\"]");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "false");
    let out = s.invoke("ion.starter/feature-item?", "[42]");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("incorrect"), "{}", stderr(&out));
}

fn xform(s: &Subject) {
    let out = db_cli(
        s,
        &[
            "pull",
            DB,
            "[:inv/sku [:inv/type :xform ion.starter/display-name]]",
            "[:inv/sku \"SKU-42\"]",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        ion_edn::read(stdout(&out).trim()).unwrap(),
        ion_edn::read(r#"{:inv/sku "SKU-42" :inv/type "Hat"}"#).unwrap()
    );
    let out = s.invoke("ion.starter/display-name", "[:dress-shoe]");
    assert_eq!(stdout(&out).trim(), "\"Dress shoe\"", "{}", stderr(&out));
    let out = s.invoke("ion.starter/display-name", "[nil]");
    assert_eq!(stdout(&out).trim(), "nil", "{}", stderr(&out));
    let out = s.invoke("ion.starter/display-name", "[1]");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("incorrect"), "{}", stderr(&out));
}
