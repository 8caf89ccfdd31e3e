//! Evaluate: Rego policies (built-in and the user's) compiled once and run over documents.

pub mod builtin;
pub mod builtins;
pub mod calls;
pub mod engine;
pub mod gatekeeper;
pub mod graph;
pub mod guards;
pub mod inventory;
pub mod limits;
pub mod metadata;
pub mod opa;
mod rewrite;
pub mod screen;
pub mod shadow;
pub mod vm_errors;
pub mod vm_screen;

pub use engine::{Evaluation, PolicyError, PolicySet, PolicySource, Selection, Worker};
