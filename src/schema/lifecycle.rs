//! Removed and deprecated Kubernetes APIs for the target version: a table of the removals up to
//! 1.32 (with the full group names: `events.k8s.io`, `node.k8s.io`, `flowcontrol.apiserver.k8s.io`,
//! `apiextensions.k8s.io`, …), and for the embedded minors the facts read off the schemas
//! themselves: a kind/apiVersion an older minor serves and the target does not was removed; a
//! beta or alpha one served next to a stable apiVersion of the same kind is deprecated.

use super::builtin;

/// One removal from the Kubernetes deprecation guide.
#[derive(Debug)]
pub struct Removal {
    pub api_version: &'static str,
    /// The kinds affected; empty means every kind of the apiVersion.
    pub kinds: &'static [&'static str],
    /// First minor (`1.N`) that no longer serves it.
    pub removed_in: u32,
    /// What to use instead, e.g. `apps/v1`; empty when there is none.
    pub replacement: &'static str,
    /// Extra advice, e.g. for APIs with no successor.
    pub note: &'static str,
}

macro_rules! r {
    ($av:expr, [$($k:expr),*], $in:expr, $to:expr) => {
        Removal { api_version: $av, kinds: &[$($k),*], removed_in: $in, replacement: $to, note: "" }
    };
    ($av:expr, [$($k:expr),*], $in:expr, $to:expr, $note:expr) => {
        Removal { api_version: $av, kinds: &[$($k),*], removed_in: $in, replacement: $to, note: $note }
    };
}

/// Removed APIs, 1.16 to 1.32 (Kubernetes deprecation guide, cross-checked with k8s.io/api).
pub static REMOVALS: &[Removal] = &[
    r!("extensions/v1beta1", ["Deployment", "DaemonSet", "ReplicaSet"], 16, "apps/v1"),
    r!("extensions/v1beta1", ["NetworkPolicy"], 16, "networking.k8s.io/v1"),
    r!(
        "extensions/v1beta1",
        ["PodSecurityPolicy"],
        16,
        "",
        "PodSecurityPolicy was removed in 1.25: use Pod Security Admission namespace labels"
    ),
    r!("extensions/v1beta1", ["Ingress"], 22, "networking.k8s.io/v1"),
    r!("apps/v1beta1", ["Deployment", "StatefulSet", "ControllerRevision"], 16, "apps/v1"),
    r!("apps/v1beta2", ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"], 16, "apps/v1"),
    r!(
        "admissionregistration.k8s.io/v1beta1",
        ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
        22,
        "admissionregistration.k8s.io/v1"
    ),
    r!("apiextensions.k8s.io/v1beta1", ["CustomResourceDefinition"], 22, "apiextensions.k8s.io/v1"),
    r!("apiregistration.k8s.io/v1beta1", ["APIService"], 22, "apiregistration.k8s.io/v1"),
    r!("authentication.k8s.io/v1beta1", ["TokenReview"], 22, "authentication.k8s.io/v1"),
    r!(
        "authorization.k8s.io/v1beta1",
        ["SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"],
        22,
        "authorization.k8s.io/v1"
    ),
    r!("certificates.k8s.io/v1beta1", ["CertificateSigningRequest"], 22, "certificates.k8s.io/v1"),
    r!("coordination.k8s.io/v1beta1", ["Lease"], 22, "coordination.k8s.io/v1"),
    r!("networking.k8s.io/v1beta1", ["Ingress", "IngressClass"], 22, "networking.k8s.io/v1"),
    r!(
        "rbac.authorization.k8s.io/v1beta1",
        ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        22,
        "rbac.authorization.k8s.io/v1"
    ),
    r!("scheduling.k8s.io/v1beta1", ["PriorityClass"], 22, "scheduling.k8s.io/v1"),
    r!("storage.k8s.io/v1beta1", ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], 22, "storage.k8s.io/v1"),
    r!("batch/v1beta1", ["CronJob"], 25, "batch/v1"),
    r!("discovery.k8s.io/v1beta1", ["EndpointSlice"], 25, "discovery.k8s.io/v1"),
    r!("events.k8s.io/v1beta1", ["Event"], 25, "events.k8s.io/v1"),
    r!("autoscaling/v2beta1", ["HorizontalPodAutoscaler"], 25, "autoscaling/v2"),
    r!("policy/v1beta1", ["PodDisruptionBudget"], 25, "policy/v1"),
    r!(
        "policy/v1beta1",
        ["PodSecurityPolicy"],
        25,
        "",
        "there is no replacement: use Pod Security Admission namespace labels"
    ),
    r!("node.k8s.io/v1beta1", ["RuntimeClass"], 25, "node.k8s.io/v1"),
    r!(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        ["FlowSchema", "PriorityLevelConfiguration"],
        26,
        "flowcontrol.apiserver.k8s.io/v1"
    ),
    r!("autoscaling/v2beta2", ["HorizontalPodAutoscaler"], 26, "autoscaling/v2"),
    r!("storage.k8s.io/v1beta1", ["CSIStorageCapacity"], 27, "storage.k8s.io/v1"),
    r!(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        ["FlowSchema", "PriorityLevelConfiguration"],
        29,
        "flowcontrol.apiserver.k8s.io/v1"
    ),
    r!(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        ["FlowSchema", "PriorityLevelConfiguration"],
        32,
        "flowcontrol.apiserver.k8s.io/v1"
    ),
];

/// What the target version says about an apiVersion/kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not served by the target: (removed in `1.N`, replacement apiVersion or "", advice).
    Removed { removed_in: String, replacement: String, note: String },
    /// Still served, but a stable apiVersion of the same kind exists: use it.
    Deprecated { replacement: String },
}

fn is_prerelease(api_version: &str) -> bool {
    let v = api_version.rsplit('/').next().unwrap_or(api_version);
    v.contains("alpha") || v.contains("beta")
}

/// The lifecycle status of `api_version`/`kind` in Kubernetes `minor` (`1.N`), or `None` when it
/// is current (or unknown: a custom resource, say).
pub fn status(minor: &str, api_version: &str, kind: &str) -> Option<Status> {
    let target = builtin::minor_number(minor);
    for r in REMOVALS {
        if r.api_version == api_version && (r.kinds.is_empty() || r.kinds.contains(&kind)) && target >= r.removed_in {
            return Some(Status::Removed {
                removed_in: format!("1.{}", r.removed_in),
                replacement: r.replacement.to_string(),
                note: r.note.to_string(),
            });
        }
    }
    let index = builtin::index();
    let served = index.minors_with(api_version, kind);
    if served.is_empty() {
        return None;
    }
    let stable: Vec<&str> = index
        .api_versions_of(minor, kind)
        .into_iter()
        .filter(|a| !is_prerelease(a) && same_group(a, api_version))
        .collect();
    if !served.iter().any(|m| m == minor) {
        // Served by an older embedded minor only (a newer one only means the target is too old).
        let last = served.iter().map(|m| builtin::minor_number(m)).max().unwrap_or(0);
        if last < target {
            let replacement = stable
                .first()
                .map(|s| s.to_string())
                .or_else(|| {
                    let mut all = index.api_versions_of(minor, kind);
                    all.retain(|a| same_group(a, api_version));
                    all.last().map(|s| s.to_string())
                })
                .unwrap_or_default();
            return Some(Status::Removed { removed_in: format!("1.{}", last + 1), replacement, note: String::new() });
        }
        return None;
    }
    if is_prerelease(api_version) {
        if let Some(s) = stable.first() {
            return Some(Status::Deprecated { replacement: s.to_string() });
        }
    }
    None
}

fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

fn same_group(a: &str, b: &str) -> bool {
    group(a) == group(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_data() {
        let removed = |m: &str, a: &str, k: &str| match status(m, a, k) {
            Some(Status::Removed { removed_in, replacement, .. }) => Some((removed_in, replacement)),
            _ => None,
        };
        assert_eq!(removed("1.33", "extensions/v1beta1", "Deployment"), Some(("1.16".into(), "apps/v1".into())));
        assert_eq!(
            removed("1.33", "extensions/v1beta1", "Ingress"),
            Some(("1.22".into(), "networking.k8s.io/v1".into()))
        );
        assert_eq!(removed("1.37", "events.k8s.io/v1beta1", "Event"), Some(("1.25".into(), "events.k8s.io/v1".into())));
        assert_eq!(
            removed("1.33", "apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
            Some(("1.22".into(), "apiextensions.k8s.io/v1".into()))
        );
        assert_eq!(removed("1.37", "apps/v1", "Deployment"), None);
        // From the data: served in 1.33, gone in 1.34.
        assert_eq!(
            removed("1.34", "admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy"),
            Some(("1.34".into(), "admissionregistration.k8s.io/v1".into()))
        );
        assert_eq!(
            removed("1.37", "networking.k8s.io/v1beta1", "ServiceCIDR"),
            Some(("1.37".into(), "networking.k8s.io/v1".into()))
        );
        assert_eq!(
            status("1.36", "networking.k8s.io/v1beta1", "ServiceCIDR"),
            Some(Status::Deprecated { replacement: "networking.k8s.io/v1".into() })
        );
        assert_eq!(
            status("1.33", "admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy"),
            Some(Status::Deprecated { replacement: "admissionregistration.k8s.io/v1".into() })
        );
        // A kind that appears only in newer minors is not "removed" from an older target.
        assert_eq!(status("1.33", "storagemigration.k8s.io/v1", "StorageVersionMigration"), None);
        assert_eq!(status("1.37", "example.com/v1", "Widget"), None);
    }
}
