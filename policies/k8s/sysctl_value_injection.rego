# METADATA
# title: Sysctl value carrying a second setting (CVE-2022-0811)
# description: |
#   Flags pod securityContext.sysctls whose value contains "+" or "=". CRI-O before 1.19.6,
#   1.20.7, 1.21.6, 1.22.3, 1.23.2 and 1.24.0 split a value at "+" and applied what followed as
#   another sysctl ("1+kernel.core_pattern=|/payload"), so a pod allowed a safe sysctl could set
#   any kernel parameter and run a command as root on the node ("cr8escape"). No sysctl of the
#   safe set takes such a value. The sysctl's name is k8s/unsafe-sysctl's: this check judges the
#   value, whatever the name.
# custom:
#   id: k8s/sysctl-value-injection
#   severity: high
#   remediation: Set the sysctl's value to the number or range it takes, without "+" or "="; upgrade CRI-O to a fixed release.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [PSE]
#   aliases:
#     kyverno: prevent-cr8escape
package tollgate.k8s.sysctl_value_injection

import rego.v1

deny contains result if {
	sysctls = data.tollgate.lib.k8s.pod_security_context.sysctls
	is_array(sysctls)
	some i, sysctl in sysctls
	is_object(sysctl)
	value = sysctl.value
	is_string(value)
	injects(value)
	result = {
		"msg": sprintf("%s: pod sets sysctl %v to \"%v\", whose \"+\" or \"=\" can set another sysctl (CVE-2022-0811)", [data.tollgate.lib.k8s.resource, object.get(sysctl, "name", "(unnamed)"), value]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "sysctls", i, "value"]),
	}
}

injects(value) if contains(value, "+")

injects(value) if contains(value, "=")
