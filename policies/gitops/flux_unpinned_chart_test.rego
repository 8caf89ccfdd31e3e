package tollgate.gitops.flux_unpinned_chart_test

import rego.v1

import data.tollgate.gitops.flux_unpinned_chart

release(chart_spec) := {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "ingress"}, "spec": {"chart": {"spec": chart_spec}}}

test_exact_version_passes if {
	count(flux_unpinned_chart.deny) == 0 with input as release({"chart": "ingress-nginx", "version": "4.11.2"})
	count(flux_unpinned_chart.deny) == 0 with input as {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "x"}, "spec": {"chartRef": {"kind": "OCIRepository", "name": "x"}}}
	count(flux_unpinned_chart.deny) == 0 with input as {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart", "metadata": {"name": "x"}, "spec": {"chart": "x", "version": "1.0.0"}}
}

test_unset_and_ranges_fail if {
	findings := flux_unpinned_chart.deny with input as release({"chart": "ingress-nginx"})
	findings == {{"msg": "HelmRelease/ingress: chart ingress-nginx is not pinned to a version (version unset, which means *)", "path": ["spec", "chart", "spec", "version"]}}
	count(flux_unpinned_chart.deny) == 1 with input as release({"chart": "x", "version": ">=4.0.0"})
	findings2 := flux_unpinned_chart.deny with input as {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart", "metadata": {"name": "c"}, "spec": {"chart": "x", "version": "4.x"}}
	findings2 == {{"msg": "HelmChart/c: chart x is not pinned to a version (version 4.x)", "path": ["spec", "version"]}}
}
