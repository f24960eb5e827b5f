//! `host logs`: a node's or a compute group's recent log lines, or (`--follow`) every line
//! as it is logged, read from the nodes' admin APIs (`GET /logs`). With `--group`, every
//! live node of the group, each line prefixed with its node's id.

use super::Failure;
use super::app::tokio_runtime;
use super::store::StoreArgs;
use crate::deploy::records::{NodeRecord, now_ms};
use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// One node: its admin API address (host:port or http://host:port).
    #[arg(long, value_name = "ADDR", conflicts_with = "group")]
    pub admin: Option<String>,
    /// Every live node of this compute group, found in the store.
    #[arg(long, value_name = "GROUP", required_unless_present = "admin")]
    pub group: Option<String>,
    /// Only the lines of this ion's calls (e.g. ion.starter/echo).
    #[arg(long, value_name = "NAME")]
    pub ion: Option<String>,
    /// Keep printing lines as they are logged, until interrupted.
    #[arg(long, short)]
    pub follow: bool,
    /// A file holding the nodes' admin bearer token (else ION_ADMIN_TOKEN).
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub(crate) fn run(args: LogsArgs) -> Result<(), Failure> {
    let token = super::group::admin_token(args.admin_token_file.as_ref())?;
    tokio_runtime()?.block_on(async {
        // (prefix, admin address) of each node to read.
        let nodes: Vec<(Option<String>, String)> = match (&args.admin, &args.group) {
            (Some(admin), _) => vec![(None, admin.clone())],
            (None, Some(group)) => {
                let store = args.store.open()?;
                let now = now_ms();
                let live: Vec<_> = NodeRecord::list(&store, group)
                    .await
                    .map_err(|e| Failure::Setup(format!("{e:#}")))?
                    .into_iter()
                    .filter(|n| n.is_live(now))
                    .map(|n| (Some(n.id), n.admin))
                    .collect();
                if live.is_empty() {
                    return Err(Failure::Setup(format!(
                        "compute group {group} has no live node in {}",
                        store.describe()
                    )));
                }
                live
            }
            (None, None) => unreachable!("clap requires --admin or --group"),
        };
        let mut query = vec![];
        if let Some(ion) = &args.ion {
            query.push(format!("ion={}", ion.replace('/', "%2F")));
        }
        if args.follow {
            query.push("follow=true".into());
        }
        let query = query.join("&");
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<String, String>>(1024);
        for (prefix, admin) in nodes {
            let (tx, token, query) = (tx.clone(), token.clone(), query.clone());
            tokio::spawn(async move {
                if let Err(e) = read(&admin, &token, &query, prefix.as_deref(), &tx).await {
                    let who = prefix.unwrap_or(admin);
                    let _ = tx.send(Err(format!("{who}: {e}"))).await;
                }
            });
        }
        drop(tx);
        let mut failed = None;
        while let Some(line) = rx.recv().await {
            match line {
                Ok(line) => {
                    let mut out = std::io::stdout().lock();
                    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                        // The reader went away (a closed pipe): stop quietly.
                        return Ok(());
                    }
                }
                Err(e) => {
                    eprintln!("host logs: {e}");
                    failed = Some(e);
                }
            }
        }
        match failed {
            Some(e) => Err(Failure::Setup(format!(
                "cannot read every node's logs: {e}"
            ))),
            None => Ok(()),
        }
    })
}

/// Streams one node's `/logs` into `tx`, line by line.
async fn read(
    admin: &str,
    token: &str,
    query: &str,
    prefix: Option<&str>,
    tx: &tokio::sync::mpsc::Sender<Result<String, String>>,
) -> Result<(), String> {
    let base = if admin.starts_with("http://") {
        admin.to_owned()
    } else {
        format!("http://{admin}")
    };
    let uri = format!("{base}/logs?{query}");
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let req = hyper::Request::get(&uri)
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Empty::new())
        .map_err(|e| format!("{uri}: {e}"))?;
    let response = client
        .request(req)
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
    let status = response.status();
    let mut body = response.into_body();
    if !status.is_success() {
        let text = body
            .collect()
            .await
            .map(|c| String::from_utf8_lossy(&c.to_bytes()).into_owned())
            .unwrap_or_default();
        return Err(format!("{uri} answered {status}: {text}"));
    }
    let mut pending = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("{uri}: {e}"))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        pending.extend_from_slice(&data);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            let line = match prefix {
                Some(p) => format!("{p} | {line}"),
                None => line,
            };
            if tx.send(Ok(line)).await.is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}
