//! cargo-fuzz target: see `ion_fuzz_driver::ion_config`. Seeds: tests/cases/fuzz/ion-config/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ion_fuzz_driver::ion_config(data));
