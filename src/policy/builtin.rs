//! The built-in policy library, embedded at build time from `policies/`.

mod files {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// Every embedded `.rego` file as (repo path such as `policies/k8s/x.rego`, text), sorted.
pub fn files() -> &'static [(&'static str, &'static str)] {
    files::FILES
}

/// The files a check run loads: everything but the `_test.rego` files.
pub fn modules() -> impl Iterator<Item = (&'static str, &'static str)> {
    files().iter().copied().filter(|(p, _)| !p.ends_with("_test.rego"))
}

/// The checks' pass/fail fixtures as (repo path such as
/// `fixtures/policies/privileged-container/fail/privileged.yaml`, text), sorted.
pub fn fixtures() -> &'static [(&'static str, &'static str)] {
    files::FIXTURES
}
