//! The admin API: health and what the node serves, for operators and (later) the deploy
//! orchestrator. Every request needs `Authorization: Bearer <token>`, compared in
//! constant time.

use super::Node;
use super::body::{Body, respond};
use crate::runtime::kind_name;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use std::sync::Arc;

/// Serves one admin request.
pub async fn handle(node: Arc<Node>, token: Arc<String>, req: Request<Incoming>) -> Response<Body> {
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
    let slot = node.current();
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
