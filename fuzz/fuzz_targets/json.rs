//! cargo fuzz target `json`: see `tollgate_fuzz::json` for what must hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate_fuzz::json(data));
