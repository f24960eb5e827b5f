//! cargo-fuzz target: see `ion_fuzz_driver::split`. Seeds: tests/cases/fuzz/split/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ion_fuzz_driver::split(data));
