//! cargo fuzz target `yaml`: see `tollgate_fuzz::loader` for what must hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tollgate_fuzz::loader(data, "f.yaml"));
