//! The admin API: health and what the node serves, for operators; the deploy step the
//! orchestrator drives (`POST /deploy`: load a revision, then swap it in while calls in
//! flight finish on the old one); Datalog queries for tools (`POST /q`); the node's
//! metrics for Prometheus (`GET /metrics`); its recent log lines (`GET /logs`, followed
//! with `?follow=true`); and the deploy console (`GET /console`, whose
//! page takes the token in its address, and `GET /console/state`). Every other request
//! needs `Authorization: Bearer <token>`; tokens are compared in constant time.

use super::Node;
use super::body::{Body, ReadError, read_limited, respond};
use crate::runtime::kind_name;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use std::sync::Arc;
use std::time::Instant;

/// Serves one admin request.
pub async fn handle(node: Arc<Node>, token: Arc<String>, req: Request<Incoming>) -> Response<Body> {
    // A browser opening the console cannot send a header: the page takes the token in its
    // address (`/console?token=…`) and its script sends it as a bearer token.
    if req.method() == Method::GET && req.uri().path() == "/console" {
        let given = req
            .uri()
            .query()
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|kv| kv.strip_prefix("token="))
            .unwrap_or_default();
        return if constant_time_eq::constant_time_eq(given.as_bytes(), token.as_bytes()) {
            super::console::page()
        } else {
            respond(
                401,
                "text/plain; charset=utf-8",
                "the console needs the admin token: open /console?token=<token>",
            )
        };
    }
    let presented = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq::constant_time_eq(presented.as_bytes(), token.as_bytes()) {
        let mut r = respond(
            401,
            "text/plain; charset=utf-8",
            "the admin API needs Authorization: Bearer <token>",
        );
        r.headers_mut()
            .insert("www-authenticate", "Bearer".parse().expect("valid header"));
        return r;
    }
    if req.method() == Method::POST && req.uri().path() == "/deploy" {
        return deploy(node, req).await;
    }
    if req.method() == Method::POST && req.uri().path() == "/q" {
        return query(node, req).await;
    }
    if req.method() == Method::POST && req.uri().path() == "/db/notify" {
        return notify(req).await;
    }
    if req.method() == Method::GET && req.uri().path() == "/logs" {
        return super::logs::logs(node, req.uri().query());
    }
    if req.method() == Method::GET && req.uri().path() == "/console/state" {
        return super::console::state(node).await;
    }
    if req.method() == Method::GET && req.uri().path() == "/metrics" {
        return respond(
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            crate::metrics::metrics().encode(),
        );
    }
    let Some(slot) = node.current() else {
        return match (req.method(), req.uri().path()) {
            (&Method::GET, "/health") => respond(
                200,
                "application/edn",
                format!(
                    "{{:status :ok, :group {}, :revision nil}}",
                    ion_edn::quote(&node.group)
                ),
            ),
            (method, path) => respond(
                404,
                "text/plain; charset=utf-8",
                format!("no admin operation at {method} {path} on a node serving no revision"),
            ),
        };
    };
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => {
            let admitted = slot.gate.as_ref().map_or(0, |g| g.admitted());
            let lambdas: Vec<String> = slot
                .app
                .config()
                .lambdas
                .keys()
                .map(|name| format!(":{name} {{:in-flight {}}}", slot.app.lambda_in_flight(name)))
                .collect();
            let body = format!(
                "{{:status :ok, :app-name {}, :group {}, :revision {}, :http-direct {{:admitted {admitted}}}, :lambdas {{{}}}}}",
                ion_edn::quote(&slot.app.config().app_name),
                ion_edn::quote(&node.group),
                ion_edn::quote(&slot.revision),
                lambdas.join(", ")
            );
            respond(200, "application/edn", body)
        }
        (&Method::GET, "/app") => {
            let fns: Vec<String> = slot
                .app
                .exported_fns()
                .iter()
                .map(|f| {
                    format!(
                        "{{:name {}, :kind {}}}",
                        f.name,
                        ion_edn::quote(kind_name(f.kind))
                    )
                })
                .collect();
            let body = format!(
                "{{:sdk {}, :fns [{}]}}",
                ion_edn::quote(slot.app.sdk()),
                fns.join(" ")
            );
            respond(200, "application/edn", body)
        }
        (method, path) => respond(
            404,
            "text/plain; charset=utf-8",
            format!("no admin operation at {method} {path}"),
        ),
    }
}

/// `POST /deploy`: loads the revision the body names with the node's deployer and swaps
/// it in. Answers 200 with the step's timings, or 422 with why the revision cannot serve
/// (the node then keeps serving what it served).
async fn deploy(node: Arc<Node>, req: Request<Incoming>) -> Response<Body> {
    let Some(deployer) = node.deployer.clone() else {
        return respond(
            409,
            "text/plain; charset=utf-8",
            "this node is not in a stored compute group (start it with --group and --store)",
        );
    };
    let body = match read_limited(req.into_body(), 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(ReadError::TooLarge) => {
            return respond(
                413,
                "text/plain; charset=utf-8",
                "a deploy request is at most 64 KiB",
            );
        }
        Err(ReadError::Failed(e)) => return respond(400, "text/plain; charset=utf-8", e),
    };
    let _one_at_a_time = node.deploying.lock().await;
    match deployer.load(&body).await {
        Ok(loaded) => {
            let revision = loaded.slot.as_ref().map(|s| s.revision.clone());
            let started = Instant::now();
            node.swap(loaded.slot);
            let swap_ms = started.elapsed().as_millis() as u64;
            // The step answers once the node's record shows the new revision, so that
            // `host group show`, the console and deploy-status agree when it succeeds.
            if !node.until_recorded(std::time::Duration::from_secs(5)).await {
                tracing::warn!(
                    "the node's record does not show the swap yet (the store is slow or refusing)"
                );
            }
            let timings: String = loaded
                .timings
                .iter()
                .chain([("swap", swap_ms)].iter())
                .map(|(phase, ms)| format!(":{phase}-ms {ms}"))
                .collect::<Vec<_>>()
                .join(", ");
            tracing::info!(revision = ?revision, %timings, "deployed");
            respond(
                200,
                "application/edn",
                format!(
                    "{{:status :ok, :revision {}, {timings}}}",
                    revision.map_or("nil".to_owned(), |r| ion_edn::quote(&r))
                ),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "deploy step refused; still serving the previous revision");
            respond(
                error.http_status(),
                "application/edn",
                format!(
                    "{{:status :failed, :error {}}}",
                    ion_edn::quote(&error.to_string())
                ),
            )
        }
    }
}

/// `POST /q` with `{:db NAME :query Q :args [...]}`: runs a Datalog query on one of the
/// node's databases (the served app's query functions available), for tools. Answers the
/// result as EDN, or the anomaly with its HTTP status. A query stops with `interrupted`
/// after `TOOL_TIMEOUT_MS` (60 s), or its own `:timeout` if sooner.
async fn query(node: Arc<Node>, req: Request<Incoming>) -> Response<Body> {
    use crate::db::query::{Deadline, Input, TOOL_TIMEOUT_MS, q_until};
    let body = match read_limited(req.into_body(), 1 << 20).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(ReadError::TooLarge) => {
            return respond(
                413,
                "text/plain; charset=utf-8",
                "a query request is at most 1 MiB",
            );
        }
        Err(ReadError::Failed(e)) => return respond(400, "text/plain; charset=utf-8", e),
    };
    let fail = |e: crate::anomaly::IonError| {
        respond(e.category.http_status(), "application/edn", e.to_edn())
    };
    let request = match crate::db::api::read(&body, "the query request") {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let Some(ion_edn::Edn::Str(name)) = ion_edn::get(&request, "db") else {
        return fail(crate::anomaly::IonError::new(
            crate::anomaly::Category::Incorrect,
            "a query request is {:db NAME :query Q :args [...]}",
        ));
    };
    let Some(query) = ion_edn::get(&request, "query") else {
        return fail(crate::anomaly::IonError::new(
            crate::anomaly::Category::Incorrect,
            "the query request needs :query",
        ));
    };
    let db = match crate::node_db::databases().connect(name).await {
        Ok(conn) => conn.db(),
        Err(e) => return fail(e),
    };
    let mut inputs = vec![Input::Db(&db)];
    match ion_edn::get(&request, "args") {
        None => {}
        Some(ion_edn::Edn::Vector(args)) => inputs.extend(args.iter().cloned().map(Input::Value)),
        Some(other) => {
            return fail(crate::anomaly::IonError::new(
                crate::anomaly::Category::Incorrect,
                format!(
                    "the query request's :args is a vector of the inputs after the database, found {}",
                    ion_edn::type_name(other)
                ),
            ));
        }
    }
    let slot = node.current();
    let fns = crate::runtime::db_fns::of(slot.as_ref().map(|s| &s.app));
    let bound = Deadline::after_ms(
        TOOL_TIMEOUT_MS,
        format!("the admin API's query time of {TOOL_TIMEOUT_MS} ms"),
    );
    match q_until(query, inputs, &*fns, Some(bound)).await {
        Ok(result) => respond(200, "application/edn", ion_edn::print(&result)),
        Err(e) => fail(e),
    }
}

/// `POST /db/notify` `{:db NAME :t T}`: a peer committed database NAME up to T; this
/// node reads the new records if it has the database open (see `deploy::peers`).
async fn notify(req: Request<Incoming>) -> Response<Body> {
    let bad = |why: &str| {
        respond(
            400,
            "text/plain; charset=utf-8",
            format!("a commit notice is {{:db NAME :t T}}: {why}"),
        )
    };
    let body = match read_limited(req.into_body(), 4096).await {
        Ok(b) => b,
        Err(_) => return bad("the body could not be read, or is over 4 KiB"),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return bad("the body is not UTF-8");
    };
    let Ok(doc) = ion_edn::read(text) else {
        return bad("the body is not EDN");
    };
    match (ion_edn::get(&doc, "db"), ion_edn::get(&doc, "t")) {
        (Some(ion_edn::Edn::Str(name)), Some(ion_edn::Edn::Int(t))) => {
            crate::node_db::databases().notify(name, *t);
            respond(204, "text/plain; charset=utf-8", "")
        }
        _ => bad("expected a string :db and an integer :t"),
    }
}
