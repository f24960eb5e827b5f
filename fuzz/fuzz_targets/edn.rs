//! cargo-fuzz target: see `ion_fuzz_driver::edn`. Seeds: tests/cases/fuzz/edn/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ion_fuzz_driver::edn(data));
