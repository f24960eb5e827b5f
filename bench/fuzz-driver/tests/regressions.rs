//! Replays every input under `tests/cases/fuzz/<target>/` — the seeds and every crash the
//! fuzzer ever found — through its target: none may panic, abort or hang. Runs on a 2 MiB
//! stack, as a node's request handlers do.

use ion_fuzz_driver::{TARGETS, corpus, lambda_api, run};

fn replay(target: &str, node: Option<&lambda_api::Node>) -> usize {
    let files = corpus(target);
    assert!(
        !files.is_empty(),
        "tests/cases/fuzz/{target}/ has no inputs"
    );
    for (path, data) in &files {
        if let Err(e) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(target, data, node)))
        {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{} panicked: {message}", path.display());
        }
    }
    files.len()
}

fn on_node_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn every_saved_input_of_the_pure_parsers_is_handled_without_a_panic() {
    on_node_stack(|| {
        for target in TARGETS.iter().filter(|t| **t != "lambda-api") {
            replay(target, None);
        }
    });
}

#[test]
fn every_saved_lambda_api_request_gets_an_answer_from_a_real_node() {
    let host = lambda_api::host_binary();
    if !host.is_file() {
        // `cargo test -p ion-fuzz-driver` alone does not build the host binary.
        let built = std::process::Command::new(env!("CARGO"))
            .args(["build", "-p", "ion-host", "--bin", "host"])
            .status()
            .unwrap();
        assert!(built.success(), "building the host binary failed");
    }
    let node = lambda_api::Node::start(&host).unwrap();
    let n = replay("lambda-api", Some(&node));
    assert!(n >= 3, "only {n} lambda-api inputs");
}
