package tollgate.k8s.dangling_ingress_test

import rego.v1

import data.tollgate.k8s.dangling_ingress

ingress(spec) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

rule(name) := {"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}

inv := {"namespaces": {"shop": {"Service": [{"name": "web"}]}}, "names": {"shop": {"Service": {"web": [{"name": "web"}]}}}}

test_defined_service_passes if {
	count(dangling_ingress.deny) == 0 with input as ingress({"rules": [rule("web")], "defaultBackend": {"service": {"name": "web"}}}) with data.tollgate.inventory as inv
	count(dangling_ingress.deny) == 0 with input as ingress({"rules": [{"http": {"paths": [{"backend": {"resource": {"kind": "Bucket", "name": "b"}}}]}}]}) with data.tollgate.inventory as inv
}

test_undefined_service_fails if {
	findings := dangling_ingress.deny with input as ingress({"rules": [rule("web"), rule("web-api")]}) with data.tollgate.inventory as inv
	findings == {{
		"msg": "Ingress/web: backend Service web-api is not defined in namespace 'shop' by any manifest of the commit",
		"path": ["spec", "rules", 1, "http", "paths", 0, "backend", "service", "name"],
	}}
}

test_legacy_and_default_backends_fail if {
	doc := {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "old", "namespace": "shop"}, "spec": {
		"backend": {"serviceName": "gone", "servicePort": 80},
		"rules": [{"http": {"paths": [{"backend": {"serviceName": "web", "servicePort": 80}}]}}],
	}}
	[f.path | some f in dangling_ingress.deny] == [["spec", "backend", "serviceName"]] with input as doc with data.tollgate.inventory as inv
	[f.path | some f in dangling_ingress.deny] == [["spec", "defaultBackend", "service", "name"]] with input as ingress({"defaultBackend": {"service": {"name": "x"}}}) with data.tollgate.inventory as inv
}

test_quiet_when_the_commit_cannot_tell if {
	doc := ingress({"rules": [rule("chart-web")]})
	count(dangling_ingress.deny) == 0 with input as doc with data.tollgate.inventory as {}
	count(dangling_ingress.deny) == 0 with input as doc with data.tollgate.inventory as object.union(inv, {"custom_resources": {"shop": true}})
}
