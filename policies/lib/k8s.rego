# Shared helpers for the built-in Kubernetes checks (`import data.tollgate.lib.k8s`).
#
# `input` is one Kubernetes document. Every workload kind is normalised to one pod view, the way
# Pod Security Admission does it:
#
#   Pod                                                      spec
#   Deployment, StatefulSet, DaemonSet, ReplicaSet,
#   ReplicationController, Job                               spec.template.spec
#   CronJob                                                  spec.jobTemplate.spec.template.spec
#   PodTemplate                                              template.spec
#
# API:
#   k8s.pod_spec, k8s.pod_spec_path   the pod spec object, and the keys from the document root to it
#   k8s.containers                    set of {"container": c, "path": [..., "containers", 0]} over
#                                     containers, initContainers and ephemeralContainers
#   k8s.regular_containers            the same, `containers` only
#   k8s.container_label(entry)        "container 'web'" / "init container 'x'" / "ephemeral container 'x'"
#   k8s.resource                      "Kind/name" of the document, for messages
#   k8s.name(obj)                     obj.name (or generateName + "*"), else "<unnamed>"
#   k8s.workload_kinds                every kind with a pod spec (the `kinds` of pod checks)
#   k8s.patch                         the document is a kustomize patch, not a whole object (below)
#   k8s.sensitive_host_path(path)     a hostPath that hands the pod the node (runtime socket, /etc, ...)
#
# Checks report `{"msg": ..., "path": [...]}` where `path` is an array of keys and indexes from the
# document root, built from `pod_spec_path` or an entry's `path`. Every helper tolerates malformed
# documents (wrong types are skipped, never a builtin error); schema validation reports those.
package tollgate.lib.k8s

import rego.v1

# Kinds whose pod spec sits at spec.template.spec.
controller_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# Every kind that carries a pod spec (the `kinds` of container and pod checks).
workload_kinds := controller_kinds | {"Pod", "CronJob", "PodTemplate"}

# The three lists of containers in a pod spec ("every container" in PSS terms).
container_fields := ["containers", "initContainers", "ephemeralContainers"]

# Path from the document root to the pod spec; defined for every workload kind.
pod_spec_path := ["spec"] if input.kind == "Pod"

pod_spec_path := ["spec", "template", "spec"] if input.kind in controller_kinds

pod_spec_path := ["spec", "jobTemplate", "spec", "template", "spec"] if input.kind == "CronJob"

pod_spec_path := ["template", "spec"] if input.kind == "PodTemplate"

# The pod spec object; undefined when the document has none (or it is not an object).
pod_spec := spec if {
	input.kind == "Pod"
	spec = input.spec
	is_object(spec)
}

pod_spec := spec if {
	input.kind in controller_kinds
	spec = input.spec.template.spec
	is_object(spec)
}

pod_spec := spec if {
	input.kind == "CronJob"
	spec = input.spec.jobTemplate.spec.template.spec
	is_object(spec)
}

pod_spec := spec if {
	input.kind == "PodTemplate"
	spec = input.template.spec
	is_object(spec)
}

# Every container, init container and ephemeral container of the pod spec, as
# {"container": <object>, "path": ["spec", "template", "spec", "containers", 0]}.
containers contains {"container": c, "path": array.concat(pod_spec_path, [field, i])} if {
	some field in container_fields
	list = pod_spec[field]
	is_array(list)
	some i, c in list
	is_object(c)
}

# Only the entries of `containers` that come from `containers` (not init or ephemeral ones).
regular_containers contains entry if {
	some entry in containers
	container_field(entry) == "containers"
}

# "containers", "initContainers" or "ephemeralContainers" for an entry of `containers`.
container_field(entry) := entry.path[count(entry.path) - 2]

# "Kind/name" of the document, for messages.
resource := sprintf("%s/%s", [object_kind, name(object_metadata)])

object_kind := k if {
	k = input.kind
	is_string(k)
} else := "<unknown kind>"

object_metadata := m if {
	m = input.metadata
	is_object(m)
} else := {}

# The `name` of an object (a container, a volume, metadata), or "<unnamed>".
name(obj) := n if {
	n = obj.name
	is_string(n)
} else := n if {
	# generateName: Pods and Jobs created with a server-generated suffix
	is_string(obj.generateName)
	n = sprintf("%s*", [obj.generateName])
} else := "<unnamed>"

# "container 'web'", "init container 'setup'" or "ephemeral container 'debug'" for an entry of
# `containers`, for messages.
container_label(entry) := sprintf("%s '%s'", [container_noun[container_field(entry)], name(entry.container)])

container_noun := {
	"containers": "container",
	"initContainers": "init container",
	"ephemeralContainers": "ephemeral container",
}

# Path from the document root to the pod's metadata (where PSA reads pod annotations), and the
# metadata object ({} when absent).
pod_metadata_path := ["metadata"] if input.kind == "Pod"

pod_metadata_path := array.concat(array.slice(pod_spec_path, 0, count(pod_spec_path) - 1), ["metadata"]) if {
	input.kind != "Pod"
	input.kind in workload_kinds
}

pod_metadata := m if {
	m = object.get(input, pod_metadata_path, {})
	is_object(m)
} else := {}

# The pod's annotations ({} when absent or not an object).
pod_annotations := a if {
	a = pod_metadata.annotations
	is_object(a)
} else := {}

# The pod-level securityContext ({} when absent or not an object).
pod_security_context := sc if {
	sc = pod_spec.securityContext
	is_object(sc)
} else := {}

# Windows pods (spec.os.name: windows) skip the restricted privilege escalation, capabilities and
# seccomp controls since Kubernetes 1.25 (kube_minor).
windows_pod if pod_spec.os.name == "windows"

windows_restricted_exempt if {
	windows_pod
	kube_minor >= 25
}

# Pods in a user namespace (spec.hostUsers: false): PSS relaxes runAsNonRoot (restricted) and
# procMount (baseline) for them since Kubernetes 1.35.
user_namespace_relaxed if {
	pod_spec.hostUsers == false
	kube_minor >= 35
}

# The target Kubernetes minor version: data.tollgate.params.kube_version ("1.31", "v1.31.2"),
# else the newest release the library knows (version-dependent PSS details follow it).
latest_minor := 37

kube_minor := to_number(parts[1]) if {
	v = data.tollgate.params.kube_version
	is_string(v)
	regex.match(`^v?1\.[0-9]+(\.[0-9]+)?$`, v)
	parts = split(trim_prefix(v, "v"), ".")
} else := latest_minor

# A kustomize patch: a partial object merged into a whole one at build time. The checks that
# judge what is missing (a field not set, a label absent) skip it; the checks that judge what is
# there still apply (a patch that sets privileged: true makes the built object privileged).
# Recognised by a `$patch` directive at the top (as the schema stage does); or, since a check sees
# one document and not the kustomization that names it, by a document without a field the API
# server requires of its kind (an apps/v1 workload without spec.selector, a Flux Kustomization
# without spec.sourceRef, a HelmRelease without spec.chart or spec.chartRef or whose chart
# template has no chart or sourceRef, a Flux source without spec.url, an Argo CD Application
# without spec.destination). No cluster accepts such a document as a whole object, and schema
# validation reports the missing field in a file that is no patch. (A Pod, Job or CronJob patch
# without `$patch` is not recognised: their required fields are the ones a patch of them also
# carries.)
patch if is_string(input["$patch"])

patch if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
	is_string(input.apiVersion)
	startswith(input.apiVersion, "apps/")
	not is_object(input.spec.selector)
}

patch if {
	flux_kind("kustomize", "Kustomization")
	not is_object(input.spec.sourceRef)
}

patch if {
	flux_kind("helm", "HelmRelease")
	not is_object(input.spec.chart)
	not is_object(input.spec.chartRef)
}

# A chart template names its chart and where it comes from.
patch if {
	flux_kind("helm", "HelmRelease")
	is_object(input.spec.chart)
	not is_string(input.spec.chart.spec.chart)
}

patch if {
	flux_kind("helm", "HelmRelease")
	is_object(input.spec.chart)
	not is_object(input.spec.chart.spec.sourceRef)
}

patch if {
	some kind in ["GitRepository", "OCIRepository", "HelmRepository", "Bucket"]
	flux_kind("source", kind)
	not is_string(input.spec.url)
	not is_string(input.spec.bucketName)
}

patch if {
	input.kind == "Application"
	is_string(input.apiVersion)
	startswith(input.apiVersion, "argoproj.io/")
	not is_object(input.spec.destination)
}

flux_kind(group, kind) if {
	input.kind == kind
	is_string(input.apiVersion)
	startswith(input.apiVersion, concat("", [group, ".toolkit.fluxcd.io/"]))
}

# A hostPath that hands the pod the node: a container runtime socket, /, or a path at or below
# one of sensitive_host_dirs (k8s/sensitive-host-path; k8s/host-path-volume leaves these to it
# when both run).
sensitive_host_path(path) if {
	is_string(path)
	sensitive_clean_path(clean_host_path(path))
}

sensitive_host_dirs := {
	"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run",
	"/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd",
}

runtime_socket_names := {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock"}

# Without trailing slashes and duplicate separators ("/" stays "/").
clean_host_path(path) := cleaned if {
	parts = [p | some p in split(path, "/"); p != ""; p != "."]
	cleaned = concat("", ["/", concat("/", parts)])
}

sensitive_clean_path(path) if path == "/"

sensitive_clean_path(path) if {
	some dir in sensitive_host_dirs
	startswith(concat("", [path, "/"]), concat("", [dir, "/"]))
}

sensitive_clean_path(path) if {
	parts = split(path, "/")
	parts[count(parts) - 1] in runtime_socket_names
}
