//! cargo fuzz target `markup` (XML, JSONC, CycloneDX, SPDX): see `tollgate_fuzz::markup` for what must hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate_fuzz::markup(data));
