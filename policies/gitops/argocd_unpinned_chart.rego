# METADATA
# title: Argo CD Helm chart not pinned
# description: |
#   Flags Helm chart sources of Argo CD Applications and ApplicationSet templates (a source with
#   chart) whose targetRevision is omitted, empty, "*", "latest" or a range (1.2.*, ^1.2,
#   ~1.2, >=1.0 <2.0, 1.x). The chart that gets installed then changes whenever the chart
#   repository publishes a release. An exact version (1.2.3) passes; templated values are not
#   judged.
# custom:
#   id: gitops/argocd-unpinned-chart
#   severity: high
#   remediation: Set targetRevision to the exact chart version and update it through a reviewed change (for example with Renovate).
#   kinds: [Application, ApplicationSet]
#   profiles: [gitops]
#   frameworks:
#     nsa: [UPG]
package tollgate.gitops.argocd_unpinned_chart

import rego.v1

import data.tollgate.lib.gitops
deny contains result if {
	some entry in data.tollgate.lib.gitops.argo_sources
	chart = entry.source.chart
	revision = object.get(entry.source, "targetRevision", "")
	not gitops.templated(revision)
	not gitops.exact_version(revision)
	result = {
		"msg": sprintf("%s: Helm chart %v is not pinned to a version (targetRevision %v)", [data.tollgate.lib.k8s.resource, chart, describe(revision)]),
		"path": array.concat(entry.path, ["targetRevision"]),
	}
}

describe(revision) := "unset" if {
	revision in {"", null}
} else := sprintf("%v", [revision])
