//! The admin API's `GET /logs`: the node's recent log lines (`?ion=NAME` keeps an ion's
//! own), and with `?follow=true` every line after them as it is logged, until the reader
//! goes or the node stops. One line per log event, as the node formats them.

use super::Node;
use super::body::{Body, BodyError};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::Frame;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{broadcast, mpsc};

/// A body fed line by line from a channel.
struct Lines(mpsc::Receiver<Bytes>);

impl hyper::body::Body for Lines {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.0
            .poll_recv(cx)
            .map(|line| line.map(|l| Ok(Frame::data(l))))
    }
}

/// Serves `GET /logs` with `query` (`ion=NAME`, `follow=true`).
pub fn logs(node: Arc<Node>, query: Option<&str>) -> Response<Body> {
    let mut ion = None;
    let mut follow = false;
    for kv in query.into_iter().flat_map(|q| q.split('&')) {
        match kv.split_once('=') {
            Some(("ion", v)) => ion = Some(super::sigv4::decode(v)),
            Some(("follow", v)) => follow = v == "true" || v == "1",
            _ => {}
        }
    }
    let keep = move |line: &str| {
        ion.as_deref()
            .is_none_or(|i| crate::logs::is_of_ion(line, i))
    };
    let (recent, mut live) = crate::logs::subscribe();
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let stopping = node.stopping.clone();
    tokio::spawn(async move {
        for line in recent.iter().filter(|l| keep(l)) {
            if tx.send(Bytes::from(format!("{line}\n"))).await.is_err() {
                return;
            }
        }
        if !follow {
            return;
        }
        loop {
            let line = tokio::select! {
                _ = stopping.cancelled() => return,
                _ = tx.closed() => return,
                line = live.recv() => line,
            };
            let text = match line {
                Ok(line) if keep(&line) => format!("{line}\n"),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    format!("[host logs: {n} lines were dropped: this reader fell behind]\n")
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if tx.send(Bytes::from(text)).await.is_err() {
                return;
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .header("cache-control", "no-store")
        .body(Lines(rx).boxed_unsync())
        .expect("valid response")
}
