//! cargo-fuzz target: each input is an HTTP request to a real `host serve` node serving
//! tests/guests/hostile (see `ion_fuzz_driver::lambda_api`). Set ION_FUZZ_HOST to the
//! `host` binary. Seeds: tests/cases/fuzz/lambda-api/.
#![no_main]

use ion_fuzz_driver::lambda_api::{Node, host_binary};
use std::sync::OnceLock;

static NODE: OnceLock<Node> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let node = NODE.get_or_init(|| Node::start(&host_binary()).expect("starting the node"));
    if let Err(e) = node.send(data) {
        panic!("{e}");
    }
});
