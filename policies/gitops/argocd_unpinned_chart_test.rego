package tollgate.gitops.argocd_unpinned_chart_test

import rego.v1

import data.tollgate.gitops.argocd_unpinned_chart

app(source) := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "ingress"}, "spec": {"source": source}}

chart(revision) := {"repoURL": "https://kubernetes.github.io/ingress-nginx", "chart": "ingress-nginx", "targetRevision": revision}

test_exact_version_passes if {
	count(argocd_unpinned_chart.deny) == 0 with input as app(chart("4.11.2"))
	count(argocd_unpinned_chart.deny) == 0 with input as app(chart("v1.2.3-rc.1"))
	count(argocd_unpinned_chart.deny) == 0 with input as app({"repoURL": "https://github.com/acme/x.git", "path": "."})
}

test_ranges_fail if {
	every revision in ["*", "1.2.*", ">=1.0 <2.0", "^1.2.0", "~1.2", "1.x", "latest", ""] {
		count(argocd_unpinned_chart.deny) == 1 with input as app(chart(revision))
	}
	findings := argocd_unpinned_chart.deny with input as app({"repoURL": "https://charts.example.com", "chart": "x"})
	findings == {{"msg": "Application/ingress: Helm chart x is not pinned to a version (targetRevision unset)", "path": ["spec", "source", "targetRevision"]}}
}
