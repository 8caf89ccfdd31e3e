//! cargo fuzz target `waivers`: see `tollgate_fuzz::waivers` for what must hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate_fuzz::waivers(data));
