use super::*;
use serde_json::Value;

/// The text of a sample event under `tests/cases/api-gateway/`.
fn case(name: &str) -> String {
    // The run-time value: the build-time one is stale when a shared target dir was
    // built from another checkout.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let path = format!("{manifest_dir}/../../../tests/cases/api-gateway/{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Owned header pairs.
fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Parses `name`, checks `data` is the event as EDN, and returns the request.
fn parsed(name: &str) -> (GatewayRequest, String) {
    let text = case(name);
    let request = parse_event(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        ion_edn::read(&request.data).unwrap(),
        ion_edn::json_to_edn(&event),
        "{name}"
    );
    assert_eq!(
        request.json, text,
        "{name}: json is the event text unchanged"
    );
    (request, text)
}

#[test]
fn rest_api_sample_uses_multi_value_headers_and_query() {
    let (request, text) = parsed("rest-v1.json");
    assert!(
        request
            .data
            .contains(r#":multiValueQueryStringParameters {:foo ["bar"]}"#)
    );
    let headers = pairs(&[
        (
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8",
        ),
        ("accept-encoding", "gzip, deflate, sdch"),
        ("accept-language", "en-US,en;q=0.8"),
        ("cache-control", "max-age=0"),
        ("cloudfront-forwarded-proto", "https"),
        ("cloudfront-is-desktop-viewer", "true"),
        ("cloudfront-is-mobile-viewer", "false"),
        ("cloudfront-is-smarttv-viewer", "false"),
        ("cloudfront-is-tablet-viewer", "false"),
        ("cloudfront-viewer-country", "US"),
        ("host", "0123456789.execute-api.us-east-1.amazonaws.com"),
        ("upgrade-insecure-requests", "1"),
        ("user-agent", "Custom User Agent String"),
        (
            "via",
            "1.1 08f323deadbeefa7af34d5feb414ce27.cloudfront.net (CloudFront)",
        ),
        (
            "x-amz-cf-id",
            "cDehVQoZnx43VYQb9j2-nvCh-9z396Uhbp027Y2JvkCPNLmGJHqlaA==",
        ),
        ("x-forwarded-for", "127.0.0.1, 127.0.0.2"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ]);
    let expected = GatewayRequest {
        method: "post".into(),
        path: "/path/to/resource".into(),
        query_string: Some("foo=bar".into()),
        headers,
        body: Some(br#"{"test":"body"}"#.to_vec()),
        protocol: "HTTP/1.1".into(),
        remote_addr: "127.0.0.1".into(),
        scheme: "https".into(),
        server_name: "0123456789.execute-api.us-east-1.amazonaws.com".into(),
        server_port: Some(443),
        json: text,
        data: request.data.clone(),
        version: PayloadVersion::V1,
    };
    assert_eq!(request, expected);
}

#[test]
fn http_api_v2_sample_keeps_raw_query_and_joins_cookies() {
    let (request, text) = parsed("http-v2.json");
    assert!(request.data.contains(r#":cookies ["cookie1" "cookie2"]"#));
    let expected = GatewayRequest {
        method: "post".into(),
        path: "/my/path".into(),
        query_string: Some("parameter1=value1&parameter1=value2&parameter2=value".into()),
        headers: pairs(&[
            ("cookie", "cookie1; cookie2"),
            ("header1", "value1"),
            ("header2", "value1,value2"),
        ]),
        body: Some(b"Hello from Lambda".to_vec()),
        protocol: "HTTP/1.1".into(),
        remote_addr: "192.0.2.1".into(),
        scheme: "https".into(),
        server_name: "id.execute-api.us-east-1.amazonaws.com".into(),
        server_port: None,
        json: text,
        data: request.data.clone(),
        version: PayloadVersion::V2,
    };
    assert_eq!(request, expected);
}

#[test]
fn http_api_v1_sample_repeats_multi_value_headers_and_parameters() {
    let (request, text) = parsed("http-v1.json");
    let expected = GatewayRequest {
        method: "get".into(),
        path: "/my/path".into(),
        query_string: Some("parameter1=value1&parameter1=value2&parameter2=value".into()),
        headers: pairs(&[
            ("header1", "value1"),
            ("header2", "value1"),
            ("header2", "value2"),
        ]),
        body: Some(b"Hello from Lambda!".to_vec()),
        protocol: "HTTP/1.1".into(),
        remote_addr: "192.0.2.1".into(),
        scheme: "https".into(),
        server_name: "id.execute-api.us-east-1.amazonaws.com".into(),
        server_port: None,
        json: text,
        data: request.data.clone(),
        version: PayloadVersion::V1,
    };
    assert_eq!(request, expected);
}

#[test]
fn binary_event_decodes_body_encodes_query_and_reads_forwarding_headers() {
    let (request, text) = parsed("rest-v1-binary.json");
    let expected = GatewayRequest {
        method: "put".into(),
        path: "/images/logo.png".into(),
        query_string: Some("note=a%20b%26c%3Dd&tag=%C3%A9".into()),
        headers: pairs(&[
            ("content-type", "image/png"),
            ("host", "example.com:8443"),
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-port", "8443"),
            ("x-forwarded-proto", "http"),
        ]),
        body: Some(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff".to_vec()),
        protocol: "HTTP/2.0".into(),
        remote_addr: "203.0.113.7".into(),
        scheme: "http".into(),
        server_name: "example.com".into(),
        server_port: Some(8443),
        json: text,
        data: request.data.clone(),
        version: PayloadVersion::V1,
    };
    assert_eq!(request, expected);
}

#[test]
fn minimal_events_get_defaults() {
    let v1 = parse_event(r#"{"httpMethod": "GET", "path": "/", "body": null}"#).unwrap();
    assert_eq!(
        (
            v1.method.as_str(),
            v1.path.as_str(),
            v1.query_string,
            v1.body
        ),
        ("get", "/", None, None)
    );
    assert_eq!((v1.headers.len(), v1.protocol.as_str()), (0, "HTTP/1.1"));
    assert_eq!((v1.remote_addr.as_str(), v1.scheme.as_str()), ("", "https"));
    assert_eq!((v1.server_name.as_str(), v1.server_port), ("", None));
    assert_eq!(v1.data, r#"{:body nil, :httpMethod "GET", :path "/"}"#);

    let v2 = parse_event(
        r#"{"version": "2.0", "rawPath": "/", "rawQueryString": "", "cookies": [],
            "body": "", "requestContext": {"http": {"method": "DELETE"}}}"#,
    )
    .unwrap();
    assert_eq!((v2.method.as_str(), v2.query_string), ("delete", None));
    assert_eq!((v2.headers.len(), v2.body), (0, Some(Vec::new())));
    assert_eq!(v2.version, PayloadVersion::V2);
}

#[test]
fn forwarding_headers_are_read_with_care() {
    let with = |headers: &str| {
        let event = format!(r#"{{"httpMethod": "GET", "path": "/", "headers": {headers}}}"#);
        let r = parse_event(&event).unwrap();
        (r.scheme, r.server_name, r.server_port)
    };
    let h =
        with(r#"{"X-Forwarded-Proto": "wss", "X-Forwarded-Port": "70000", "Host": "[::1]:80"}"#);
    assert_eq!(h, ("https".into(), "[::1]".into(), None));
    let h =
        with(r#"{"X-Forwarded-Proto": "HTTP, https", "X-Forwarded-Port": "+80", "Host": "a:b"}"#);
    assert_eq!(h, ("http".into(), "a:b".into(), None));
    let h = with(r#"{"X-Forwarded-Port": " 8080 ", "Host": ""}"#);
    assert_eq!(h, ("https".into(), "".into(), Some(8080)));
}

#[test]
fn empty_multi_value_objects_fall_back_to_single_values() {
    let event = r#"{"httpMethod": "GET", "path": "/", "multiValueHeaders": {},
        "headers": {"Host": "h"}, "multiValueQueryStringParameters": {},
        "queryStringParameters": {"q": "1 2"}}"#;
    let request = parse_event(event).unwrap();
    assert_eq!(request.headers, pairs(&[("host", "h")]));
    assert_eq!(request.query_string.as_deref(), Some("q=1%202"));
}

#[test]
fn base64_bodies_may_omit_padding() {
    let event = r#"{"httpMethod": "POST", "path": "/", "isBase64Encoded": true, "body": "aGk"}"#;
    assert_eq!(parse_event(event).unwrap().body, Some(b"hi".to_vec()));
}

#[test]
fn malformed_events_name_the_field_and_what_was_expected() {
    let cases: &[(&str, &str)] = &[
        (
            "",
            "the text is not JSON (EOF while parsing a value at line 1 column 0); \
             expected a proxy event object",
        ),
        ("[1]", "the event is an array; expected a JSON object"),
        (
            "{}",
            "neither `httpMethod` nor `version` is present; expected a REST API proxy event \
             or an HTTP API event of payload format 1.0 or 2.0",
        ),
        (
            r#"{"version": "1.0"}"#,
            r#"`httpMethod` is missing; expected a string such as "GET""#,
        ),
        (
            r#"{"version": "3.0"}"#,
            r#"`version` is "3.0"; expected "1.0" or "2.0""#,
        ),
        (
            r#"{"version": 2}"#,
            r#"`version` is 2; expected "1.0" or "2.0""#,
        ),
        (
            r#"{"httpMethod": null, "path": "/"}"#,
            r#"`httpMethod` is null; expected a string such as "GET""#,
        ),
        (
            r#"{"httpMethod": "GE T", "path": "/"}"#,
            r#"`httpMethod` is "GE T"; expected a string such as "GET""#,
        ),
        (
            r#"{"httpMethod": "GETGETGETGETGETGETGETGETGETGETGETGETGETGET!?", "path": "/"}"#,
            r#"`httpMethod` is "GETGETGETGETGETGETGETGETGETGETGETGETGETG"…; expected a string such as "GET""#,
        ),
        (
            r#"{"httpMethod": "GET"}"#,
            r#"`path` is missing; expected a string such as "/my/path""#,
        ),
        (
            r#"{"httpMethod": "GET", "path": "/", "multiValueHeaders": {"Accept": "*/*"}}"#,
            r#"`multiValueHeaders.Accept` is "*/*"; expected an array of strings"#,
        ),
        (
            r#"{"httpMethod": "GET", "path": "/", "multiValueHeaders": {"Accept": ["a", 1]}}"#,
            "`multiValueHeaders.Accept[1]` is 1; expected a string",
        ),
        (
            r#"{"httpMethod": "GET", "path": "/", "headers": {"Accept": ["*/*"]}}"#,
            "`headers.Accept` is an array; expected a string",
        ),
        (
            r#"{"httpMethod": "GET", "path": "/", "queryStringParameters": []}"#,
            "`queryStringParameters` is an array; expected an object",
        ),
        (
            r#"{"httpMethod": "GET", "path": "/", "requestContext": {"identity": {"sourceIp": 7}}}"#,
            "`requestContext.identity.sourceIp` is 7; expected a string",
        ),
        (
            r#"{"httpMethod": "GET", "path": "/", "isBase64Encoded": "yes"}"#,
            r#"`isBase64Encoded` is "yes"; expected true or false"#,
        ),
        (
            r#"{"httpMethod": "GET", "path": "/", "isBase64Encoded": true, "body": "%%"}"#,
            "`body` is not valid base64 although `isBase64Encoded` is true; \
             expected standard base64 text",
        ),
        (
            r#"{"version": "2.0", "rawPath": "/"}"#,
            "`requestContext` is missing; expected an object",
        ),
        (
            r#"{"version": "2.0", "rawPath": "/", "requestContext": {"http": {}}}"#,
            r#"`requestContext.http.method` is missing; expected a string such as "GET""#,
        ),
        (
            r#"{"version": "2.0", "requestContext": {"http": {"method": "GET"}}}"#,
            r#"`rawPath` is missing; expected a string such as "/my/path""#,
        ),
        (
            r#"{"version": "2.0", "rawPath": "/", "cookies": "a=b",
                "requestContext": {"http": {"method": "GET"}}}"#,
            r#"`cookies` is "a=b"; expected an array of strings"#,
        ),
    ];
    for (event, message) in cases {
        let err = parse_event(event).expect_err(event);
        assert_eq!(
            err.message,
            format!("API Gateway event: {message}"),
            "{event}"
        );
        assert_eq!(err.to_string(), err.message);
    }
}

mod response;
