//! cargo-fuzz target: see `ion_fuzz_driver::apigw_event`. Seeds: tests/cases/fuzz/apigw-event/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ion_fuzz_driver::apigw_event(data));
