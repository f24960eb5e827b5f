//! SigV4 against AWS's published examples (the signing-key example of the SigV4 docs, the
//! IAM `ListUsers` example, and `get-vanilla`, `post-vanilla` and
//! `get-vanilla-query-order-key-case` of the aws-sig-v4-test-suite), then the checks
//! `authorize` and `verify` make, each with the error type AWS answers.

use super::*;
use hyper::header::HeaderValue;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

/// The published signature of a suite request: canonical request as the suite gives it,
/// and the signature computed from what `canonical_request` rebuilt.
fn suite_case(
    method: Method,
    uri: &str,
    extra: &[(&str, &str)],
    service: &str,
) -> (String, String) {
    let host = if service == "iam" {
        "iam.amazonaws.com"
    } else {
        "example.amazonaws.com"
    };
    let mut pairs = vec![("host", host), ("x-amz-date", "20150830T123600Z")];
    pairs.extend_from_slice(extra);
    let h = headers(&pairs);
    let mut signed: Vec<String> = pairs.iter().map(|(k, _)| k.to_string()).collect();
    signed.sort();
    let uri: Uri = uri.parse().unwrap();
    let canonical = canonical_request(&method, &uri, &h, &signed, b"").unwrap();
    let sig = signature(
        SECRET,
        "20150830T123600Z",
        ["20150830", "us-east-1", service],
        &canonical,
    );
    (canonical, sig)
}

#[test]
fn the_signing_key_is_the_documented_one() {
    assert_eq!(
        hex::encode(signing_key(SECRET, "20120215", "us-east-1", "iam")),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
}

#[test]
fn get_vanilla() {
    let (canonical, sig) = suite_case(Method::GET, "/", &[], "service");
    assert_eq!(
        canonical,
        format!(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_SHA256}"
        )
    );
    assert_eq!(
        sig,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn post_vanilla() {
    let (_, sig) = suite_case(Method::POST, "/", &[], "service");
    assert_eq!(
        sig,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    );
}

#[test]
fn get_vanilla_query_order_key_case() {
    let (canonical, sig) = suite_case(Method::GET, "/?Param2=value2&Param1=value1", &[], "service");
    assert!(
        canonical.contains("\nParam1=value1&Param2=value2\n"),
        "{canonical}"
    );
    assert_eq!(
        sig,
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
}

#[test]
fn iam_list_users() {
    let (_, sig) = suite_case(
        Method::GET,
        "/?Action=ListUsers&Version=2010-05-08",
        &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        "iam",
    );
    assert_eq!(
        sig,
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn paths_are_normalised_and_encoded_twice_queries_strictly() {
    assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
    assert_eq!(
        canonical_uri("/fn/arn%3Aaws%3Alambda/x"),
        "/fn/arn%253Aaws%253Alambda/x"
    );
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(
        canonical_query("Qualifier=%24LATEST&a=1&A=2"),
        "A=2&Qualifier=%24LATEST&a=1"
    );
    assert_eq!(canonical_query("b&a=x%20y+z"), "a=x%20y%2Bz&b=");
}

#[test]
fn dates_round_trip() {
    let t = parse_amz_date("20150830T123600Z").unwrap();
    assert_eq!(t, 1_440_938_160);
    assert_eq!(format_amz_date(t), "20150830T123600Z");
    assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
    assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
    assert_eq!(parse_amz_date("20151330T123600Z"), None);
    assert_eq!(parse_amz_date("00000101T000000Z"), Some(0));
}

fn creds() -> Credentials {
    Credentials::parse(
        "# test keys\nAKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
        "test",
    )
    .unwrap()
}

/// A lambda Invoke request signed with `secret` at `amz_date`, as a client would sign it.
fn signed_invoke(id: &str, secret: &str, amz_date: &str, body: &[u8]) -> (Uri, HeaderMap) {
    let uri: Uri = "/2015-03-31/functions/g-echo/invocations?Qualifier=%24LATEST"
        .parse()
        .unwrap();
    let mut h = headers(&[("host", "127.0.0.1:9001"), ("x-amz-date", amz_date)]);
    let signed = ["host".to_owned(), "x-amz-date".to_owned()];
    let canonical = canonical_request(&Method::POST, &uri, &h, &signed, body).unwrap();
    let date = &amz_date[..8];
    let sig = signature(secret, amz_date, [date, "us-east-1", "lambda"], &canonical);
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={id}/{date}/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature={sig}"
    );
    h.insert("authorization", auth.parse().unwrap());
    (uri, h)
}

fn check(c: &Credentials, uri: &Uri, h: &HeaderMap, body: &[u8], now: u64) -> Result<(), Denied> {
    let now = UNIX_EPOCH + Duration::from_secs(now);
    authorize(c, h, now)?.verify(&Method::POST, uri, h, body)
}

const AT: &str = "20150830T123600Z";
const AT_SECS: u64 = 1_440_938_160;

#[test]
fn a_good_signature_passes_and_any_change_fails() {
    let c = creds();
    let (uri, h) = signed_invoke("AKIDEXAMPLE", SECRET, AT, b"{\"a\":1}");
    assert_eq!(check(&c, &uri, &h, b"{\"a\":1}", AT_SECS + 60), Ok(()));
    let e = check(&c, &uri, &h, b"{\"a\":2}", AT_SECS).unwrap_err();
    assert_eq!(e.error_type, "InvalidSignatureException");
    let other: Uri = "/2015-03-31/functions/g-other/invocations?Qualifier=%24LATEST"
        .parse()
        .unwrap();
    assert_eq!(
        check(&c, &other, &h, b"{\"a\":1}", AT_SECS)
            .unwrap_err()
            .error_type,
        "InvalidSignatureException"
    );
    let mut moved = h.clone();
    moved.insert("host", "127.0.0.1:9002".parse().unwrap());
    assert_eq!(
        check(&c, &uri, &moved, b"{\"a\":1}", AT_SECS)
            .unwrap_err()
            .error_type,
        "InvalidSignatureException"
    );
    let mut lying = h.clone();
    lying.insert("x-amz-content-sha256", EMPTY_SHA256.parse().unwrap());
    assert_eq!(
        check(&c, &uri, &lying, b"{\"a\":1}", AT_SECS)
            .unwrap_err()
            .error_type,
        "InvalidSignatureException"
    );
}

#[test]
fn wrong_secret_unknown_key_and_no_header_are_told_apart() {
    let c = creds();
    let (uri, h) = signed_invoke("AKIDEXAMPLE", "not-the-secret", AT, b"");
    let e = check(&c, &uri, &h, b"", AT_SECS).unwrap_err();
    assert_eq!(e.error_type, "InvalidSignatureException");
    assert!(
        e.message
            .starts_with("The request signature we calculated does not match"),
        "{}",
        e.message
    );
    let (uri, h) = signed_invoke("AKIDUNKNOWN", SECRET, AT, b"");
    let e = check(&c, &uri, &h, b"", AT_SECS).unwrap_err();
    assert_eq!(
        e,
        Denied::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
    );
    let e = check(&c, &uri, &HeaderMap::new(), b"", AT_SECS).unwrap_err();
    assert_eq!(
        e,
        Denied::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token"
        )
    );
}

#[test]
fn the_clock_window_is_fifteen_minutes_each_way() {
    let c = creds();
    let (uri, h) = signed_invoke("AKIDEXAMPLE", SECRET, AT, b"");
    assert_eq!(check(&c, &uri, &h, b"", AT_SECS + 15 * 60), Ok(()));
    assert_eq!(check(&c, &uri, &h, b"", AT_SECS - 15 * 60), Ok(()));
    let e = check(&c, &uri, &h, b"", AT_SECS + 15 * 60 + 1).unwrap_err();
    assert_eq!(e.error_type, "InvalidSignatureException");
    assert_eq!(
        e.message,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"
    );
    let e = check(&c, &uri, &h, b"", AT_SECS - 15 * 60 - 1).unwrap_err();
    assert!(
        e.message
            .starts_with("Signature not yet current: 20150830T123600Z"),
        "{}",
        e.message
    );
}

#[test]
fn malformed_authorization_headers_name_what_is_missing() {
    let c = creds();
    let now = UNIX_EPOCH + Duration::from_secs(AT_SECS);
    let cases = [
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request",
            "IncompleteSignatureException",
            "requires 'SignedHeaders' parameter",
        ),
        (
            "Bearer abc",
            "IncompleteSignatureException",
            "expected 'AWS4-HMAC-SHA256'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda, SignedHeaders=host, Signature=00",
            "IncompleteSignatureException",
            "is not ACCESS_KEY_ID/YYYYMMDD",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            "InvalidSignatureException",
            "scoped to correct service: 'lambda'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
            "InvalidSignatureException",
            "'20150831' != '20150830'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=x-amz-date, Signature=00",
            "IncompleteSignatureException",
            "'Host' or ':authority'",
        ),
    ];
    for (auth, error_type, says) in cases {
        let h = headers(&[("host", "h"), ("x-amz-date", AT), ("authorization", auth)]);
        let e = authorize(&c, &h, now).unwrap_err();
        assert_eq!(e.error_type, error_type, "{auth}");
        assert!(e.message.contains(says), "{auth}: {}", e.message);
    }
    let h = headers(&[("host", "h"), ("authorization", cases[3].0)]);
    assert!(
        authorize(&c, &h, now)
            .unwrap_err()
            .message
            .contains("'X-Amz-Date'")
    );
}

#[test]
fn credentials_files_are_checked_without_quoting_secrets() {
    let c = Credentials::parse("A1 s1, A2 s2\n\n# comment\nA3 s3 # trailing\n", "f").unwrap();
    assert_eq!(c.keys.len(), 3);
    assert_eq!(format!("{c:?}"), "Credentials(3 access keys)");
    let e = Credentials::parse("A1 s1\nA2 secret-xyz extra\n", "creds.txt")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "creds.txt: entry 2 has 3 words; expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`"
    );
    assert!(!e.contains("secret-xyz"));
    assert!(
        Credentials::parse("A1 s1\nA1 s2", "f")
            .unwrap_err()
            .to_string()
            .contains("A1 is listed twice")
    );
    assert!(
        Credentials::parse("# nothing\n", "f")
            .unwrap_err()
            .to_string()
            .contains("no credentials")
    );
}
