//! In-process call throughput: how many fresh-instance calls per second the runtime does
//! without HTTP in front, for the starter's echo lambda and hello web ion, on one task and
//! on as many tasks as cores. Prints a table. Run with `cargo bench -p ion-host --bench calls`.
//!
//! This isolates the runtime's share of a request from the HTTP stack's, which
//! `scripts/bench` measures together. The last rows make and drop an instance without
//! calling an ion: the part of a call that is wasmtime's instantiation and slot reset.

use ion_host::config::{EnvironmentMap, FnName, IonConfig};
use ion_host::runtime::{AppContext, LoadedApp, Placement, Runtime, WebRequest};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUN: Duration = Duration::from_secs(3);

fn request() -> WebRequest {
    WebRequest {
        request_method: "get".into(),
        uri: "/".into(),
        query_string: None,
        headers: vec![("host".into(), "localhost".into())],
        body: None,
        protocol: "HTTP/1.1".into(),
        remote_addr: "127.0.0.1".into(),
        scheme: "http".into(),
        server_name: "localhost".into(),
        server_port: Some(8080),
        api_gateway_json: None,
        api_gateway_data: None,
    }
}

/// What each bench call does.
#[derive(Clone, Copy)]
enum Work {
    /// The starter's echo lambda.
    Lambda,
    /// The starter's hello web ion.
    Web,
    /// A fresh instance made and dropped, no ion called.
    Instantiate,
}

async fn rate(app: Arc<LoadedApp>, tasks: usize, work: Work) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                let handler = FnName::parse("ion.starter/web").unwrap();
                while started.elapsed() < RUN {
                    match work {
                        Work::Web => {
                            let r = app.call_web(&handler, request(), "bench").await;
                            assert_eq!(r.result.unwrap().status, 200);
                        }
                        Work::Lambda => {
                            let lambda = &app.config().lambdas["echo"];
                            let ctx = app.lambda_context("bench", lambda, "bench", None);
                            assert!(app.call_lambda("echo", "{}", ctx).await.result.is_ok());
                        }
                        Work::Instantiate => app.instantiate_and_drop("bench").await.unwrap(),
                    }
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let app_dir = Path::new(&manifest_dir).join("../examples/starter");
    let component = ion_host::build::build_app(&app_dir).expect("building examples/starter");
    let bytes = std::fs::read(component).unwrap();
    let config = IonConfig::load(&app_dir.join("ion-config.edn")).unwrap();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let runtime = Runtime::new(Default::default()).unwrap();
        let context = AppContext::new(
            &config,
            Placement::new(Some("bench"), EnvironmentMap::default()),
        )
        .unwrap();
        let app = Arc::new(
            LoadedApp::load(&runtime, bytes, config, context)
                .await
                .unwrap(),
        );
        println!("| call | tasks | calls/s | µs per call per core |");
        println!("|---|---:|---:|---:|");
        let works = [
            ("lambda echo", Work::Lambda),
            ("web hello", Work::Web),
            ("instantiate + reset, no call", Work::Instantiate),
        ];
        // `BENCH_CALLS=instantiate` (any part of a row's name) runs only the rows it names.
        let only = std::env::var("BENCH_CALLS").unwrap_or_default();
        for (name, work) in works.into_iter().filter(|(n, _)| n.contains(only.as_str())) {
            for tasks in [1, cores] {
                let r = rate(app.clone(), tasks, work).await;
                let busy = tasks.min(cores) as f64;
                println!("| {name} | {tasks} | {r:.0} | {:.1} |", busy * 1e6 / r);
            }
        }
    });
}
