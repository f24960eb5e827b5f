//! cargo-fuzz target: see `ion_fuzz_driver::manifest`. Seeds: tests/cases/fuzz/manifest/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ion_fuzz_driver::manifest(data));
