package tollgate.k8s.helm_tiller_test

import rego.v1

import data.tollgate.k8s.helm_tiller

deployment(images) := {
	"kind": "Deployment",
	"metadata": {"name": "tiller-deploy", "namespace": "kube-system"},
	"spec": {"template": {"spec": {"containers": [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]}}},
}

test_other_images_pass if {
	count(helm_tiller.deny) == 0 with input as deployment(["ghcr.io/acme/tiller-report:1.0", "alpine/helm:3.16.2", "tillerless:1", "ghcr.io/tiller/api:1"])
}

test_tiller_fails if {
	findings := helm_tiller.deny with input as deployment(["nginx:1.27", "gcr.io/kubernetes-helm/tiller:v2.17.0"])
	findings == {{
		"msg": "Deployment/tiller-deploy: container 'c1' runs Helm 2's Tiller (gcr.io/kubernetes-helm/tiller:v2.17.0)",
		"path": ["spec", "template", "spec", "containers", 1, "image"],
	}}
}

test_tiller_variants_fail if {
	count(helm_tiller.deny) == 1 with input as deployment(["ghcr.io/helm/tiller@sha256:abc"])
	count(helm_tiller.deny) == 1 with input as deployment(["tiller"])
	count(helm_tiller.deny) == 1 with input as deployment(["localhost:5000/Tiller:v2.9.1"])
}

test_malformed_passes if {
	count(helm_tiller.deny) == 0 with input as deployment([3, null])
}
