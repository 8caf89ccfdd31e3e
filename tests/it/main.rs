//! The integration tests, as one test binary: each file under `tests/` used to be a binary of its
//! own that linked gix, regorus and jsonschema again (~30 links of ~100 MB each); as modules of one
//! crate they are compiled and linked once. Run one module with `cargo test --test it MODULE::`.
//!
//! A new test file goes here as a module (`mod NAME;` below), not as `tests/NAME.rs`: Cargo would
//! make that a binary of its own again. `common` holds the helpers every module uses (run the real
//! binary with a time limit, build git repositories in temp dirs, read the JSON report).

mod common;

mod action;
mod broken_pipe;
mod builtin_fixtures;
mod cli;
mod confinement;
mod corpus;
mod correctness;
mod cross_resource;
mod e2e_git;
mod escaping;
mod formats;
mod formats_hcl2;
mod formats_jsonnet;
mod formats_more;
mod formats_xml;
mod fuzz;
mod gatekeeper;
mod gatekeeper_suite;
mod github_annotations;
mod helm_engine;
mod hook;
mod library_precision;
mod library_tables;
mod opa_compat;
mod policies_cmd;
mod policy_hardening;
mod policy_unit;
mod pr_mode;
mod precommit;
mod render;
mod renderers;
mod report_formats;
mod schema_cli;
mod schema_corpus;
mod schema_data;
mod schema_sources;
mod source_git;
mod source_hardening;
mod streaming;
mod user_vm;
mod verify;
mod waiver_dates;
mod waiver_runs;
mod waivers;
mod yaml_kubectl;
