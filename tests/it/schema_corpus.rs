//! Schema validation on the real public manifests of the team's shared corpus
//! (`../shared/corpus/real`): no schema error on a document kubectl would accept. Every schema
//! error the corpus does produce was checked by hand and is listed below with the reason it is
//! right; anything else fails the test. On a machine without the corpus the test says it skipped.

use crate::common;

use std::path::Path;
use std::process::Command;

/// (file, rule) of the schema errors the corpus is known to deserve.
const KNOWN: &[(&str, &str, &str)] = &[
    // Kustomize patches and partial resources whose kustomization is not in the corpus (or that
    // are merged by name): not valid objects on their own.
    ("argoproj--argo-cd/manifests/base/application-controller-deployment/argocd-application-controller-statefulset.yaml", "schema/missing-required", "partial StatefulSet"),
    ("kubernetes-sigs--kustomize/examples/ldap/overlays/production/deployment.yaml", "schema/missing-required", "patch"),
    ("kubernetes-sigs--kustomize/examples/ldap/overlays/staging/deployment.yaml", "schema/missing-required", "patch"),
    ("kubernetes-sigs--kustomize/examples/springboot/overlays/production/healthcheck_patch.yaml", "schema/missing-required", "patch"),
    ("kubernetes-sigs--kustomize/examples/springboot/overlays/production/memorylimit_patch.yaml", "schema/missing-required", "patch"),
    ("kubernetes-sigs--kustomize/examples/wordpress/patch.yaml", "schema/missing-required", "patch"),
    // Placeholders a person or a tool substitutes before applying; kubectl rejects them as they are.
    ("GoogleCloudPlatform--kubernetes-engine-samples/networking/sctp/sctp-deployment.yaml", "schema/wrong-type", "port: PORT"),
    ("GoogleCloudPlatform--kubernetes-engine-samples/databases/redis-enterprise-operator/manifests/01-basic-cluster/webhook.yaml", "schema/invalid-value", "caBundle: CRT is not base64"),
    ("kubernetes--examples/_archived/volumes/fibre_channel/fc.yaml", "schema/wrong-type", "lun: <ADD LUN ID Here>"),
    ("onedr0p--home-ops/kubernetes/components/kopiur/backup/pvc.yaml", "schema/invalid-value", "Flux ${VAR:=default} substitution"),
    // Real mistakes in archived examples: lower-case protocol, fields that do not exist, a typo.
    ("kubernetes--examples/_archived/volumes/aws_ebs/aws-ebs-web.yaml", "schema/invalid-value", "protocol: tcp"),
    ("kubernetes--examples/_archived/volumes/cinder/cinder-web.yaml", "schema/invalid-value", "protocol: tcp"),
    ("kubernetes--examples/_archived/volumes/rbd/rbd.yaml", "schema/unknown-field", "imageformat, imagefeatures"),
    ("kubernetes--examples/_archived/volumes/scaleio/pod.yaml", "schema/unknown-field", "protectionDoamin"),
    ("kubernetes--examples/_archived/volumes/storageos/storageos-pod.yaml", "schema/unknown-field", "pool"),
    ("kubernetes--examples/_archived/volumes/storageos/storageos-pv.yaml", "schema/unknown-field", "secretName"),
    // kustomize's example of what its validation transformer rejects.
    ("kubernetes-sigs--kustomize/examples/validationTransformer/invalid.yaml", "schema/wrong-type", "data: [...]"),
    // Custom resources written for a newer CRD than the one committed beside them.
    ("GoogleCloudPlatform--kubernetes-engine-samples/ai-ml/infw-gw/examples/getting-started/inference-model.yaml", "schema/missing-required", "CRD is v1alpha2 with modelName/poolRef"),
    ("GoogleCloudPlatform--kubernetes-engine-samples/ai-ml/infw-gw/examples/getting-started/inference-model.yaml", "schema/unknown-field", "modelSource, resources"),
    ("GoogleCloudPlatform--kubernetes-engine-samples/ai-ml/infw-gw/examples/getting-started/inference-model-variables.yaml", "schema/missing-required", "same"),
    ("GoogleCloudPlatform--kubernetes-engine-samples/ai-ml/infw-gw/examples/getting-started/inference-model-variables.yaml", "schema/unknown-field", "same"),
    ("istio--istio/samples/security/spire-trust-domain-federation/cluster-federated-trust-domain.yaml", "schema/unknown-field", "className: the committed SPIRE CRD predates it"),
];

#[test]
fn real_manifests_have_no_unexpected_schema_errors() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if !corpus.is_dir() {
        common::skipped(
            "schema_corpus::real_manifests_have_no_unexpected_schema_errors",
            &format!("{} not found", corpus.display()),
        );
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", ".", "--builtin", "none", "-o", "json", "--fail-on", "never"])
        .current_dir(&corpus)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("run tollgate");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = report["findings"].as_array().expect("findings");
    assert!(report["summary"]["documents"].as_u64().unwrap_or(0) > 1000);
    let mut unexpected = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in findings {
        let rule = f["rule"].as_str().unwrap_or("");
        if f["source"] != "schema" || f["severity"] != "error" || rule == "k8s/removed-api" {
            continue;
        }
        let file = f["file"].as_str().unwrap_or("");
        match KNOWN.iter().find(|(kf, kr, _)| *kf == file && *kr == rule) {
            Some(k) => {
                seen.insert((k.0, k.1));
            }
            None => unexpected.push(format!("{file}:{} {rule} {}", f["line"], f["message"])),
        }
    }
    assert!(unexpected.is_empty(), "schema errors on real manifests that kubectl accepts:\n{}", unexpected.join("\n"));
    // Every removed API the corpus uses is one the table or the data knows (none is "missing").
    let removed = findings.iter().filter(|f| f["rule"] == "k8s/removed-api").count();
    assert!(removed > 0, "the corpus has old manifests (autoscaling/v2beta2, extensions/v1beta1, …)");
    // The list above stays honest: each entry still matches something.
    let stale: Vec<_> = KNOWN.iter().filter(|(f, r, _)| !seen.contains(&(*f, *r))).collect();
    assert!(stale.is_empty(), "KNOWN entries that no longer match a finding: {stale:#?}");
}
