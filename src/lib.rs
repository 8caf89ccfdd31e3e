//! tollgate: a policy-as-code compliance gate for GitOps repositories.
//!
//! The pipeline is one module per stage: [`source`] discovers files (working tree, a git commit,
//! the index, stdin), [`manifest`] loads documents with a position on every node, [`policy`]
//! evaluates Rego over them in parallel, and [`report`] renders the findings. [`app`] wires the
//! stages together for the command line. The library never prints: renderers write to the
//! writers they are given.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

pub mod app;
pub mod cli;
pub mod config;
pub mod confine;
pub mod error;
pub mod escape;
pub mod finding;
pub mod hook;
pub mod init;
pub mod library;
pub mod manifest;
pub mod policy;
pub mod pr;
pub mod report;
pub mod schema;
pub mod source;
pub mod suppress;
pub mod text;
pub mod verify;
