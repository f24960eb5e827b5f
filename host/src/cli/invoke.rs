//! `host invoke`: build (unless told not to), load the app, call one ion, print the result.

use super::Failure;
use super::app::{AppArgs, load, tokio_runtime};
use crate::anomaly::IonError;
use crate::config::FnName;
use crate::runtime::{CallResult, FnKind, LoadedApp, Runtime, WebRequest, kind_name};
use clap::Args;
use ion_edn::Edn;
use std::io::Write;

/// Arguments of `host invoke`.
#[derive(Args, Debug)]
pub struct InvokeArgs {
    #[command(flatten)]
    app: AppArgs,
    /// The lambda name, or the fully qualified name of a query fn, xform or web ion.
    name: String,
    /// The input: JSON for a lambda, EDN for the others.
    input: Option<String>,
}

pub(crate) fn run(args: InvokeArgs) -> Result<(), Failure> {
    let prepared = args.app.prepare()?;
    let group = prepared.group.clone();
    tokio_runtime()?.block_on(async {
        let rt = Runtime::new(Default::default()).map_err(|e| Failure::Setup(format!("{e:#}")))?;
        let app = load(&rt, prepared, true).await?;
        call(&app, &group, &args.name, args.input.as_deref()).await
    })
}

async fn call(
    app: &LoadedApp,
    group: &str,
    name: &str,
    input: Option<&str>,
) -> Result<(), Failure> {
    let request_id = uuid::Uuid::new_v4().to_string();
    if let Some(lambda) = app.config().lambdas.get(name) {
        let context = app.lambda_context(group, lambda, &request_id, None);
        let result = app.call_lambda(name, input.unwrap_or("{}"), context).await;
        return finish(result, |bytes| bytes);
    }
    let Some(fn_name) = FnName::parse(name) else {
        return Err(Failure::Setup(format!(
            "{name} is neither a lambda in :lambdas ({}) nor a fully qualified function name",
            app.config()
                .lambdas
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let Some(exported) = app.exported_fns().iter().find(|f| f.name == name) else {
        return Err(Failure::Setup(format!(
            "the component exports no function named {name}"
        )));
    };
    let input = input.unwrap_or(if exported.kind == FnKind::Web {
        "{:request-method :get :uri \"/\"}"
    } else {
        "[]"
    });
    let value =
        ion_edn::read(input).map_err(|e| Failure::Setup(format!("INPUT is not EDN: {e}")))?;
    match exported.kind {
        FnKind::QueryFn => {
            let args = edn_args(&value)?;
            finish(app.call_query_fn(&fn_name, args, &request_id).await, |s| {
                (s + "\n").into_bytes()
            })
        }
        FnKind::Xform => match edn_args(&value)?.as_slice() {
            [one] => finish(
                app.call_xform(&fn_name, one.clone(), &request_id).await,
                |s| (s + "\n").into_bytes(),
            ),
            other => Err(Failure::Setup(format!(
                "an xform takes a vector of one argument; got {}",
                other.len()
            ))),
        },
        FnKind::Web => {
            let request = web_request(&value)?;
            let result = app.call_web(&fn_name, request, &request_id).await;
            finish(result, |r| {
                let headers: Vec<String> = r
                    .headers
                    .iter()
                    .map(|(k, v)| format!("{} {}", ion_edn::quote(k), ion_edn::quote(v)))
                    .collect();
                let body = String::from_utf8_lossy(&r.body);
                format!(
                    "{{:status {}, :headers {{{}}}, :body {}}}\n",
                    r.status,
                    headers.join(", "),
                    ion_edn::quote(&body)
                )
                .into_bytes()
            })
        }
        kind => Err(Failure::Setup(format!(
            "{name} is a {}; host invoke calls lambdas, web ions, query fns and xforms",
            kind_name(kind)
        ))),
    }
}

fn edn_args(value: &Edn<'_>) -> Result<Vec<String>, Failure> {
    match value {
        Edn::Vector(items) => Ok(items.iter().map(ion_edn::print).collect()),
        other => Err(Failure::Setup(format!(
            "INPUT must be an EDN vector of arguments, got {}",
            ion_edn::type_name(other)
        ))),
    }
}

fn web_request(value: &Edn<'_>) -> Result<WebRequest, Failure> {
    let text = |k: &str| match ion_edn::get(value, k) {
        Some(Edn::Str(s)) => Some(s.to_string()),
        Some(Edn::Key(s)) => Some(s.to_string()),
        _ => None,
    };
    let Some(uri) = text("uri") else {
        return Err(Failure::Setup(
            "INPUT must be a request map with at least :uri".into(),
        ));
    };
    let mut headers = Vec::new();
    match ion_edn::get(value, "headers") {
        None => {}
        Some(Edn::Map(m)) => {
            for (k, v) in m {
                let (Edn::Str(name), Edn::Str(val)) = (k, v) else {
                    return Err(Failure::Setup(format!(
                        "INPUT :headers: {} {} is not a string name and a string value",
                        ion_edn::print(k),
                        ion_edn::print(v)
                    )));
                };
                headers.push((name.to_lowercase(), val.to_string()));
            }
        }
        Some(other) => {
            return Err(Failure::Setup(format!(
                "INPUT :headers is {}; expected a map of strings",
                ion_edn::type_name(other)
            )));
        }
    }
    Ok(WebRequest {
        request_method: text("request-method").unwrap_or_else(|| "get".into()),
        uri,
        query_string: text("query-string"),
        headers,
        body: text("body").map(String::into_bytes),
        protocol: "HTTP/1.1".into(),
        remote_addr: "127.0.0.1".into(),
        scheme: "http".into(),
        server_name: "localhost".into(),
        server_port: None,
        api_gateway_json: None,
        api_gateway_data: None,
    })
}

/// Prints the ion's output to stderr, then its result to stdout or its error map to stderr.
fn finish<T>(call: CallResult<T>, render: impl FnOnce(T) -> Vec<u8>) -> Result<(), Failure> {
    eprint!("{}", call.log.text());
    match call.result {
        Ok(value) => {
            let mut out = std::io::stdout().lock();
            out.write_all(&render(value))
                .and_then(|()| out.flush())
                .map_err(|e| Failure::Setup(format!("writing the result: {e}")))
        }
        Err(e) => {
            eprintln!("{}", error_map(&e, &call.request_id));
            Err(Failure::Ion)
        }
    }
}

fn error_map(e: &IonError, request_id: &str) -> String {
    e.to_edn_with(&[("ion/request-id", ion_edn::string(request_id))])
}
