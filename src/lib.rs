//! tollgate: a policy-as-code compliance gate for GitOps repositories.
//!
//! The stages are one module each: [`source`] discovers files (working tree, a git commit, the
//! index, stdin) and holds the rules on repository paths ([`source::confine`]), [`manifest`]
//! loads documents with a position on every node, [`schema`] validates them, [`policy`] evaluates
//! Rego over them in parallel, [`suppress`] applies waivers and [`report`] renders the findings.
//! Above them [`pipeline`] is one gate run, [`settings`] turns flags and `.tollgate.yaml` into its
//! typed options, and [`commands`] holds one module per subcommand. Imports only go down that
//! order (the test in `layers.rs` keeps it so). The library never prints: renderers write to the
//! writers they are given.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

pub mod commands;
pub mod error;
pub mod escape;
pub mod finding;
#[cfg(test)]
mod layers;
pub mod library;
pub mod manifest;
pub mod pipeline;
pub mod policy;
pub mod render;
pub mod report;
pub mod schema;
pub mod settings;
pub mod source;
pub mod suppress;
pub mod text;
pub mod verify;

/// `.tollgate.yaml` lives in [`settings::config`]; this name stays for the fuzz targets.
pub use settings::config;
/// The confinement rules live in [`source::confine`]; this name stays for the modules written
/// before the move (policy, schema).
pub use source::confine;
