//! Plain hyper 1.x hello server on tokio's multi-thread runtime: every request gets
//! 200 "Hello from hyper" (text/plain). The physical-limit peer of scripts/bench.
//!
//! `hyper-hello ADDR WORK_US` first keeps its thread busy for WORK_US microseconds per
//! request (a spin on the clock, no sleep): scripts/bench's `hyper-work` peer, which shows
//! what a given amount of server CPU per request costs in throughput on this machine.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn hello(
    _request: Request<Incoming>,
    work: Duration,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if !work.is_zero() {
        let started = Instant::now();
        while started.elapsed() < work {
            std::hint::spin_loop();
        }
    }
    Ok(Response::builder()
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(b"Hello from hyper")))
        .expect("valid response"))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let usage = "usage: hyper-hello ADDR [WORK_US] (e.g. 127.0.0.1:8080 5)";
    let addr: SocketAddr = std::env::args().nth(1).ok_or(usage)?.parse()?;
    let work = match std::env::args().nth(2) {
        Some(us) => Duration::from_micros(us.parse().map_err(|e| {
            format!("WORK_US '{us}' is not a number of microseconds ({e}); {usage}")
        })?),
        None => Duration::ZERO,
    };
    let listener = TcpListener::bind(addr).await?;
    eprintln!("hyper-hello: listening on http://{addr}/");
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let io = TokioIo::new(stream);
            if let Err(err) = http1::Builder::new()
                .serve_connection(io, service_fn(move |r| hello(r, work)))
                .await
            {
                eprintln!("hyper-hello: connection error: {err}");
            }
        });
    }
}
