//! The runtime library with real components: limits, isolation between calls, and the
//! checks made when an app loads.

use crate::support::*;
use ion_host::anomaly::Category;
use ion_host::config::{EnvironmentMap, FnName, IonConfig};
use ion_host::runtime::{AppContext, LambdaContext, LoadError, LoadedApp, Placement, Runtime};
use std::path::Path;
use std::sync::OnceLock;

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| Runtime::new(Default::default()).unwrap())
}

/// Loads test app `app_name` with `config_text` (default: its own ion-config.edn) and
/// environment map `env_map` on the tests' shared runtime, in compute group `g1`.
pub(crate) async fn load_with(
    app_name: &str,
    config_text: Option<&str>,
    env_map: &str,
) -> Result<LoadedApp, LoadError> {
    let dir = app(app_name);
    let config = match config_text {
        Some(text) => IonConfig::parse(text, Path::new("test-config.edn")).unwrap(),
        None => IonConfig::load(&dir.join("ion-config.edn")).unwrap(),
    };
    let bytes = std::fs::read(dir.join("target/ion/app.wasm")).unwrap();
    let env = EnvironmentMap::parse(env_map, "test").unwrap();
    let context = AppContext::new(&config, Placement::new(Some("g1"), env)).unwrap();
    LoadedApp::load(runtime(), bytes, config, context).await
}

async fn hostile() -> LoadedApp {
    load_with("tests/guests/hostile", None, "{}").await.unwrap()
}

/// The Lambda context of a call of lambda `name` in group `g1`.
pub(crate) fn ctx(name: &str) -> LambdaContext {
    LambdaContext {
        aws_request_id: format!("req-{name}"),
        function_name: format!("g1-{name}"),
        function_version: "$LATEST".into(),
        invoked_function_arn: String::new(),
        log_group_name: String::new(),
        log_stream_name: String::new(),
        memory_limit_in_mb: 128,
        deadline_ms: 0,
        identity: None,
        client_context: None,
    }
}

async fn call(app: &LoadedApp, name: &str) -> Result<String, ion_host::anomaly::IonError> {
    app.call_lambda(name, "{}", ctx(name))
        .await
        .result
        .map(|b| String::from_utf8(b).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_past_the_concurrency_limit_is_refused_as_busy() {
    let app = hostile().await;
    // :spin has :concurrency-limit 2 and runs until its 1 s timeout. All three calls
    // take their permit on their first poll, so exactly one finds none left.
    let (a, b, c) = tokio::join!(call(&app, "spin"), call(&app, "spin"), call(&app, "spin"));
    let mut categories: Vec<Category> = [a, b, c]
        .into_iter()
        .map(|r| r.unwrap_err().category)
        .collect();
    categories.sort_by_key(|c| c.name());
    assert_eq!(
        categories,
        [Category::Busy, Category::Interrupted, Category::Interrupted]
    );
    // Permits come back when calls end.
    let again = call(&app, "spin").await.unwrap_err();
    assert_eq!(again.category, Category::Interrupted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_busy_error_names_the_lambda_and_its_limit() {
    let app = hostile().await;
    let (_, _, c) = tokio::join!(call(&app, "spin"), call(&app, "spin"), call(&app, "spin"));
    let e = c.unwrap_err();
    assert_eq!(
        e.message,
        "lambda spin is at its :concurrency-limit of 2 concurrent calls; retry later"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_limit_none_reserves_nothing() {
    let app = hostile().await;
    let calls: Vec<_> = (0..30).map(|_| call(&app, "unlimited")).collect();
    for result in join_all(calls).await {
        assert_eq!(result.unwrap(), "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_ions_fail_only_their_own_calls() {
    let app = hostile().await;
    let (p, h, r, s, ok1, ok2) = tokio::join!(
        call(&app, "panic"),
        call(&app, "hog"),
        call(&app, "recurse"),
        call(&app, "spin"),
        call(&app, "ok"),
        call(&app, "ok"),
    );
    assert_eq!(p.unwrap_err().category, Category::Fault);
    assert_eq!(h.unwrap_err().category, Category::Fault);
    assert_eq!(r.unwrap_err().category, Category::Fault);
    assert_eq!(s.unwrap_err().category, Category::Interrupted);
    assert_eq!((ok1.unwrap(), ok2.unwrap()), ("ok".into(), "ok".into()));
    // And the node goes on serving after them.
    for _ in 0..3 {
        assert_eq!(call(&app, "ok").await.unwrap(), "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_past_the_cap_is_cut_without_failing_the_ion() {
    let app = hostile().await;
    let result = app.call_lambda("chatty", "{}", ctx("chatty")).await;
    assert_eq!(result.result.unwrap(), b"still here");
    let log = result.log.text();
    assert!(log.len() < (1 << 20) + 200, "{} bytes kept", log.len());
    assert!(
        log.ends_with("[output cut: 2097152 more bytes past the 1048576 byte limit]\n"),
        "{}",
        &log[log.len() - 100..]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_fns_outside_allow_are_forbidden() {
    let app = load_with(
        "tests/guests/hostile",
        Some("{:app-name \"hostile\"}"),
        "{}",
    )
    .await
    .unwrap();
    let name = FnName::parse("hostile/truthy?").unwrap();
    let e = app
        .call_query_fn(&name, vec!["1".into()], "r1")
        .await
        .result
        .unwrap_err();
    assert_eq!(
        (e.category, e.message.as_str()),
        (
            Category::Forbidden,
            "hostile/truthy? is not in ion-config.edn :allow"
        )
    );
    let app = hostile().await;
    assert_eq!(
        app.call_query_fn(&name, vec!["nil".into()], "r2")
            .await
            .result
            .unwrap(),
        "false"
    );
    let e = app
        .call_query_fn(&name, vec![], "r3")
        .await
        .result
        .unwrap_err();
    assert_eq!(
        (e.category, e.data.as_deref()),
        (Category::Incorrect, Some("{:hostile/arity 0}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_naming_what_the_component_lacks_does_not_load() {
    let config = r#"{:app-name "hostile"
                     :allow [hostile/missing]
                     :xforms [hostile/ok]
                     :lambdas {:ok {:fn hostile/ok} :gone {:fn hostile/gone} :q {:fn hostile/truthy?}
                               :proxy {:fn hostile/ok :integration :api-gateway/proxy}}
                     :http-direct {:handler-fn hostile/ok}}"#;
    let Err(LoadError::Mismatch(problems)) =
        load_with("tests/guests/hostile", Some(config), "{}").await
    else {
        panic!("expected a mismatch");
    };
    let expected_prefixes = [
        ":lambdas :gone :fn names hostile/gone, which the component does not export (it exports hostile/ok (lambda), hostile/panic (lambda)",
        ":lambdas :proxy :fn names hostile/ok, a lambda; expected a web ion",
        ":lambdas :q :fn names hostile/truthy?, a query function; expected a lambda",
        ":http-direct :handler-fn names hostile/ok, a lambda; expected a web ion",
        ":allow hostile/missing names hostile/missing, which the component does not export",
        ":xforms hostile/ok names hostile/ok, a lambda; expected a xform",
    ];
    assert_eq!(problems.len(), expected_prefixes.len(), "{problems:#?}");
    for prefix in expected_prefixes {
        assert!(
            problems.iter().any(|p| p.starts_with(prefix)),
            "no problem starting {prefix:?} in {problems:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_init_stops_the_load() {
    let Err(LoadError::Init(e)) =
        load_with("tests/guests/hostile", None, "{:fail-init true}").await
    else {
        panic!("expected init to fail");
    };
    assert_eq!(
        (e.category, e.message.as_str()),
        (
            Category::Fault,
            "init refused: the environment map asks for :fail-init"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_reports_every_ion_with_kind_and_doc() {
    let app = load_with("examples/starter", None, "{}").await.unwrap();
    assert!(app.sdk().starts_with("ion-sdk-rust "), "{}", app.sdk());
    let fns: Vec<(String, &str, Option<String>)> = app
        .exported_fns()
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                ion_host::runtime::kind_name(f.kind),
                f.doc.clone(),
            )
        })
        .collect();
    let names: Vec<&str> = fns.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "ion.starter/echo",
            "ion.starter/get-schema",
            "ion.starter/get-items-by-type",
            "ion.starter/web",
            "ion.starter/fail",
            "ion.starter/context",
            "ion.starter/create-item",
            "ion.starter/feature-item?",
            "ion.starter/display-name"
        ]
    );
    assert_eq!(
        fns[0],
        (
            "ion.starter/echo".into(),
            "lambda",
            Some("Echos input".into())
        )
    );
    assert_eq!(fns[6].1, "transaction function");
}

/// Polls every future to completion, concurrently.
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every future finished"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_init_stops_the_load_with_the_panic_message() {
    let Err(LoadError::Init(e)) =
        load_with("tests/guests/hostile", None, "{:panic-init true}").await
    else {
        panic!("expected init to fail");
    };
    assert_eq!(e.category, Category::Fault);
    assert!(
        e.message
            .starts_with("init panicked: init boom (at src/lib.rs:"),
        "{}",
        e.message
    );
}

/// Issue 20, item 3: every SDK's component takes many rows per query-function call
/// (`query-fn-batch`), answering one value per row, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sdk_takes_query_fn_rows_in_batches() {
    let name = FnName::parse("ion.starter/feature-item?").unwrap();
    for starter in [
        "examples/starter",
        "examples/starter-py",
        "examples/starter-js",
    ] {
        let app = load_with(starter, None, "{}").await.unwrap();
        assert!(app.has_query_fn_batch(), "{starter}");
        let rows = ["\"SKU-1\"", "\"SKU-2\"", "\"SKU-21\"", "\"SKU-4\""]
            .iter()
            .map(|sku| vec![sku.to_string()])
            .collect();
        let out = app
            .call_query_fn_batch(None, &name, rows, "b1")
            .await
            .result
            .unwrap_or_else(|e| panic!("{starter}: {e:?}"));
        assert_eq!(out, ["true", "false", "true", "false"], "{starter}");
        // A row the function refuses fails the batch, as it would fail the query.
        let rows = vec![vec!["\"SKU-1\"".to_string()], vec!["42".to_string()]];
        let e = app
            .call_query_fn_batch(None, &name, rows, "b2")
            .await
            .result
            .unwrap_err();
        assert_eq!(e.category, Category::Incorrect, "{starter}: {e:?}");
    }
}
