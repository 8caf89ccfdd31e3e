//! cargo fuzz target `formats`: see `tollgate_fuzz::formats` for what must hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate_fuzz::formats(data));
