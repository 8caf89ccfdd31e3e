//! cargo fuzz target `render`: see `tollgate_fuzz::render` for what must hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate_fuzz::render(data));
