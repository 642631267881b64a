//! cargo-fuzz target for the PartiQL parser, binder and key analysis; the body is shared
//! with the crate's tests: see `tests/fuzz_body/mod.rs`.

#![no_main]

#[path = "../../tests/fuzz_body/mod.rs"]
mod fuzz_body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_body::run(data));
