//! The limits every listener holds a client to, tried over raw TCP against a real node:
//! oversized heads (431), oversized bodies, slow heads and stalled bodies (cut off at
//! their timeouts), and request smuggling attempts (400 and the connection closed, the
//! smuggled request never answered). Each answer must come within a deadline, enforced
//! with socket read timeouts. SigV4 on the Lambda API is in the `sigv4` submodule.

mod sigv4;

use crate::server::Server;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const HOSTILE: &str = "tests/guests/hostile";

/// `host:port` of a base URL.
fn addr(url: &str) -> &str {
    url.strip_prefix("http://").unwrap()
}

/// What the server sent on a connection before closing it, and when it closed.
struct Exchange {
    text: String,
    closed_after: Duration,
}

impl Exchange {
    fn status(&self) -> u16 {
        let line = self.text.lines().next().unwrap_or("");
        let code = line
            .strip_prefix("HTTP/1.1 ")
            .unwrap_or_else(|| panic!("no HTTP/1.1 status line in {:?}", self.text));
        code[..3].parse().unwrap()
    }

    /// How many responses arrived (status lines).
    fn responses(&self) -> usize {
        self.text.matches("HTTP/1.1 ").count()
    }
}

/// Reads from `stream` until the server closes it, failing if that does not happen within
/// `deadline` of `started`.
fn read_until_closed(mut stream: TcpStream, started: Instant, deadline: Duration) -> Exchange {
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_sub(started.elapsed());
        assert!(
            !left.is_zero(),
            "the server did not close the connection within {deadline:?}; it sent {:?}",
            String::from_utf8_lossy(&got)
        );
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    Exchange {
        text: String::from_utf8_lossy(&got).into_owned(),
        closed_after: started.elapsed(),
    }
}

/// Sends `request` whole on a new connection (from a thread of its own, so a server that
/// answers before reading it all does not block us) and reads until the server closes.
fn exchange(url: &str, request: Vec<u8>, deadline: Duration) -> Exchange {
    let stream = TcpStream::connect(addr(url)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let started = Instant::now();
    let sending = std::thread::spawn(move || {
        // The server may close before all is sent; what it answered is what we check.
        let _ = writer.write_all(&request);
    });
    let answer = read_until_closed(stream, started, deadline);
    sending.join().unwrap();
    answer
}

/// A request head with `extra` header lines, for `path` on the listener.
fn head(method: &str, path: &str, extra: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n")
}

const INVOKE: &str = "/2015-03-31/functions/hostile-ok/invocations";

#[test]
fn oversized_heads_get_431_at_once() {
    let s = Server::start(HOSTILE);
    for url in [&s.http, &s.lambda, &s.admin] {
        // One 64 KiB header, past the default 32 KiB limit.
        let big = head(
            "GET",
            "/echo",
            &format!("X-Big: {}\r\n", "a".repeat(64 * 1024)),
        );
        let e = exchange(url, big.into_bytes(), Duration::from_secs(5));
        assert_eq!(e.status(), 431, "{url}: {}", e.text);
        // 200 small headers, past hyper's 100.
        let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
        let e = exchange(
            url,
            head("GET", "/echo", &many).into_bytes(),
            Duration::from_secs(5),
        );
        assert_eq!(e.status(), 431, "{url}: {}", e.text);
    }
    // Just under the limit is served.
    let fits = head(
        "GET",
        "/echo",
        &format!("X-Big: {}\r\nConnection: close\r\n", "a".repeat(30 * 1024)),
    );
    let e = exchange(&s.http, fits.into_bytes(), Duration::from_secs(10));
    assert_eq!(e.status(), 200, "{}", e.text);
}

#[test]
fn the_header_limit_is_configurable() {
    let s = Server::start_with(HOSTILE, &["--max-header-bytes", "8192"]);
    let req = head(
        "GET",
        "/echo",
        &format!("X-Big: {}\r\n", "a".repeat(10 * 1024)),
    );
    let e = exchange(&s.http, req.into_bytes(), Duration::from_secs(5));
    assert_eq!(e.status(), 431, "{}", e.text);
    let out = crate::support::host()
        .args(["serve", "--no-build", "--app"])
        .arg(crate::support::app(HOSTILE))
        .args(["--http", "127.0.0.1:0", "--max-header-bytes", "100"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--max-header-bytes is 100; expected at least 8192"),
        "{err}"
    );
}

#[test]
fn oversized_bodies_are_refused() {
    let s = Server::start(HOSTILE);
    // HTTP Direct: 10 MiB and one byte.
    let n = (10 << 20) + 1;
    let mut req = head(
        "POST",
        "/body",
        &format!("Content-Length: {n}\r\nConnection: close\r\n"),
    )
    .into_bytes();
    req.extend(std::iter::repeat_n(b'x', n));
    let e = exchange(&s.http, req, Duration::from_secs(20));
    assert_eq!(e.status(), 400, "{}", e.text);
    assert!(e.text.contains("larger than 10485760 bytes"), "{}", e.text);
    // The Lambda API: 6 MB and one byte synchronously, 256 KB and one byte as an Event.
    for (limit, extra) in [
        (6 << 20, ""),
        (256 << 10, "X-Amz-Invocation-Type: Event\r\n"),
    ] {
        let n = limit + 1;
        let mut req = head(
            "POST",
            INVOKE,
            &format!("{extra}Content-Length: {n}\r\nConnection: close\r\n"),
        )
        .into_bytes();
        req.extend(std::iter::repeat_n(b' ', n));
        let e = exchange(&s.lambda, req, Duration::from_secs(20));
        assert_eq!(e.status(), 413, "{}", e.text);
        assert!(e.text.contains("RequestTooLargeException"), "{}", e.text);
    }
}

/// Sends `request_start` and then one byte of `drip` each `every`, until the server closes
/// the connection; returns when it did. Fails past `deadline`.
fn drip(
    url: &str,
    request_start: &[u8],
    drip: &[u8],
    every: Duration,
    deadline: Duration,
) -> Exchange {
    let mut stream = TcpStream::connect(addr(url)).unwrap();
    let started = Instant::now();
    stream.write_all(request_start).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    for byte in drip.iter().cycle() {
        assert!(
            started.elapsed() < deadline,
            "still open after {deadline:?}"
        );
        if stream.write_all(&[*byte]).is_err() {
            break;
        }
        // The read timeout paces the drip: a slow client, not a synchronisation.
        stream.set_read_timeout(Some(every)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("reading: {e}"),
        }
    }
    let rest = read_until_closed(stream, started, deadline);
    got.extend_from_slice(rest.text.as_bytes());
    Exchange {
        text: String::from_utf8_lossy(&got).into_owned(),
        closed_after: rest.closed_after,
    }
}

#[test]
fn slow_heads_are_cut_off_at_the_header_read_timeout() {
    let s = Server::start_with(HOSTILE, &["--header-read-timeout", "1"]);
    let every = Duration::from_millis(100);
    let in_time = |e: &Exchange, what: &str| {
        assert!(
            e.closed_after >= Duration::from_millis(950) && e.closed_after < Duration::from_secs(3),
            "{what}: closed after {:?}; expected about 1 s",
            e.closed_after
        );
        assert_eq!(e.responses(), 0, "{what}: {}", e.text);
    };
    for url in [&s.http, &s.lambda] {
        // A head sent a byte every 100 ms never completes: closed at 1 s, unanswered.
        let e = drip(
            url,
            b"GET /echo HTTP/1.1\r\nHost: test\r\n",
            b"X-Slow: aaaaaaaaaa\r\n",
            every,
            Duration::from_secs(5),
        );
        in_time(&e, "dripped head");
    }
    // A connection that sends nothing, and one that stalls inside an HTTP/2 preface.
    for (what, sent) in [
        ("silent", &b""[..]),
        ("half an HTTP/2 preface", b"PRI * HTTP/2.0\r\n"),
    ] {
        let e = exchange(&s.http, sent.to_vec(), Duration::from_secs(5));
        in_time(&e, what);
    }
    // A kept-alive connection answers, then closes when the next head does not come.
    let e = exchange(
        &s.http,
        head("GET", "/echo", "").into_bytes(),
        Duration::from_secs(5),
    );
    assert_eq!((e.status(), e.responses()), (200, 1), "{}", e.text);
    assert!(
        e.closed_after >= Duration::from_millis(950),
        "{:?}",
        e.closed_after
    );
    // And the node keeps serving.
    let e = exchange(
        &s.http,
        head("GET", "/echo", "Connection: close\r\n").into_bytes(),
        Duration::from_secs(5),
    );
    assert_eq!(e.status(), 200, "{}", e.text);
}

#[test]
fn stalled_bodies_are_refused_at_the_body_idle_timeout() {
    let s = Server::start_with(HOSTILE, &["--body-idle-timeout", "1"]);
    for (url, path) in [(&s.http, "/body"), (&s.lambda, INVOKE)] {
        // 10 of 100 bytes, then nothing.
        let mut req = head("POST", path, "Content-Length: 100\r\n").into_bytes();
        req.extend_from_slice(b"{\"a\": 1234");
        let stream = TcpStream::connect(addr(url)).unwrap();
        let started = Instant::now();
        (&stream).write_all(&req).unwrap();
        let e = read_until_closed(stream, started, Duration::from_secs(5));
        assert_eq!((e.status(), e.responses()), (400, 1), "{}", e.text);
        assert!(
            e.text
                .contains("no request body data for 1 s (the body idle timeout)"),
            "{}",
            e.text
        );
        assert!(
            e.closed_after >= Duration::from_millis(950) && e.closed_after < Duration::from_secs(3),
            "answered after {:?}; expected about 1 s",
            e.closed_after
        );
    }
    // A body that keeps coming, slowly, is not cut off: 5 bytes 300 ms apart.
    let mut stream = TcpStream::connect(addr(&s.lambda)).unwrap();
    let started = Instant::now();
    stream
        .write_all(head("POST", INVOKE, "Content-Length: 5\r\nConnection: close\r\n").as_bytes())
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    for b in b"{   " {
        stream.write_all(&[*b]).unwrap();
        let mut probe = [0u8; 1];
        // Nothing may arrive before the body is complete; the read timeout paces the bytes.
        let early = stream.read(&mut probe);
        assert!(
            early.is_err(),
            "answered before the body was complete: {early:?}"
        );
    }
    stream.write_all(b"}").unwrap();
    let e = read_until_closed(stream, started, Duration::from_secs(5));
    assert_eq!(e.status(), 200, "{}", e.text);
}

#[test]
fn smuggling_attempts_get_400_and_a_closed_connection() {
    let s = Server::start(HOSTILE);
    let smuggled = "GET /echo?smuggled HTTP/1.1\r\nHost: test\r\n\r\n";
    let cases = [
        (
            "conflicting Content-Lengths",
            "Content-Length: 4\r\nContent-Length: 40\r\n",
            "abcd",
        ),
        (
            "a list as Content-Length",
            "Content-Length: 4, 40\r\n",
            "abcd",
        ),
        ("a signed Content-Length", "Content-Length: +4\r\n", "abcd"),
        (
            "chunked not last",
            "Transfer-Encoding: chunked, identity\r\n",
            "0\r\n\r\n",
        ),
        (
            "an unknown coding",
            "Transfer-Encoding: xchunked\r\n",
            "0\r\n\r\n",
        ),
        (
            "a second Transfer-Encoding",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
            "0\r\n\r\n",
        ),
        (
            "a space before the colon",
            "Transfer-Encoding : chunked\r\n",
            "0\r\n\r\n",
        ),
        (
            "a vertical tab in the value",
            "Transfer-Encoding: \x0bchunked\r\n",
            "0\r\n\r\n",
        ),
        (
            "a bad chunk size",
            "Transfer-Encoding: chunked\r\n",
            "zz\r\nabcd\r\n0\r\n\r\n",
        ),
    ];
    for url in [&s.http, &s.lambda] {
        for (what, headers, body) in cases {
            let req = format!("{}{body}{smuggled}", head("POST", "/echo", headers));
            let e = exchange(url, req.into_bytes(), Duration::from_secs(5));
            assert_eq!(
                (e.status(), e.responses()),
                (400, 1),
                "{url} {what}: {}",
                e.text
            );
        }
        // HTTP/1.0 has no Transfer-Encoding.
        let req = format!(
            "POST /echo HTTP/1.0\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
        );
        let e = exchange(url, req.into_bytes(), Duration::from_secs(5));
        assert_eq!(
            e.text.lines().next(),
            Some("HTTP/1.1 400 Bad Request"),
            "{url}: {}",
            e.text
        );
    }
    // Content-Length with Transfer-Encoding: hyper reads the body as chunked, as RFC 9112
    // §6.1 allows, and closes the connection after answering, so the request hidden in
    // what Content-Length would have called the body is never served.
    let req = format!(
        "{}0\r\n\r\n{smuggled}",
        head(
            "POST",
            "/echo",
            "Content-Length: 60\r\nTransfer-Encoding: chunked\r\n"
        )
    );
    let e = exchange(&s.http, req.into_bytes(), Duration::from_secs(5));
    assert_eq!(e.responses(), 1, "{}", e.text);
    assert!(!e.text.contains("smuggled"), "{}", e.text);
    assert!(
        e.text.to_ascii_lowercase().contains("connection: close"),
        "{}",
        e.text
    );
}
