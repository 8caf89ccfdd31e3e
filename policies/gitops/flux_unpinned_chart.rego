# METADATA
# title: Flux Helm chart not pinned
# description: |
#   Flags Flux HelmReleases whose spec.chart.spec.version is omitted (which means "*", the
#   newest release), "*" or a range (>=4.0.0, ^4.11, 4.x), and HelmCharts whose spec.version is.
#   The chart that gets installed then changes whenever the chart repository publishes a
#   release. An exact version (4.11.2) passes; a HelmRelease with spec.chartRef is pinned by the
#   source it references.
# custom:
#   id: gitops/flux-unpinned-chart
#   severity: high
#   remediation: Set the exact chart version and update it through a reviewed change (for example with Renovate).
#   kinds: [HelmRelease, HelmChart]
#   profiles: [gitops]
#   frameworks:
#     nsa: [UPG]
package tollgate.gitops.flux_unpinned_chart

import rego.v1

import data.tollgate.lib.gitops
deny contains result if {
	input.kind == "HelmRelease"
	gitops.flux("helm")
	chart = input.spec.chart.spec
	is_object(chart)
	version = object.get(chart, "version", "*")
	not gitops.exact_version(version)
	result = {
		"msg": sprintf("%s: chart %v is not pinned to a version (version %v)", [data.tollgate.lib.k8s.resource, object.get(chart, "chart", "<unnamed>"), describe(chart)]),
		"path": ["spec", "chart", "spec", "version"],
	}
}

deny contains result if {
	input.kind == "HelmChart"
	gitops.flux("source")
	is_object(input.spec)
	version = object.get(input.spec, "version", "*")
	not gitops.exact_version(version)
	result = {
		"msg": sprintf("%s: chart %v is not pinned to a version (version %v)", [data.tollgate.lib.k8s.resource, object.get(input.spec, "chart", "<unnamed>"), describe(input.spec)]),
		"path": ["spec", "version"],
	}
}

describe(spec) := sprintf("%v", [spec.version]) if {
	spec.version
} else := "unset, which means *"
