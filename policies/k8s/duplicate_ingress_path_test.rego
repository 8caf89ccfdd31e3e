package tollgate.k8s.duplicate_ingress_path_test

import rego.v1

import data.tollgate.k8s.duplicate_ingress_path

ingress(ns, name, rules) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": ns}, "spec": {"rules": rules}}

rule(host, paths) := {"host": host, "http": {"paths": [{"path": p, "pathType": "Prefix"} | some p in paths]}}

inventory := {"ingress_paths": {
	"shop.example.com": {"/": ["shop/storefront"], "/api": ["shop/api", "shop/storefront"]},
	"admin.example.com": {"/": ["ops/admin", "shop/storefront"]},
}}

test_unique_paths_pass if {
	findings := duplicate_ingress_path.deny with input as ingress("shop", "api", [rule("shop.example.com", ["/v2"])])
		with data.tollgate.inventory as inventory
	count(findings) == 0
}

test_duplicate_fails_naming_the_other if {
	findings := duplicate_ingress_path.deny with input as ingress("shop", "storefront", [rule("shop.example.com", ["/", "/api"]), rule("admin.example.com", ["/"])])
		with data.tollgate.inventory as inventory
	findings == {
		{"msg": "Ingress/storefront: shop.example.com/api is also routed by Ingress shop/api", "path": ["spec", "rules", 0, "http", "paths", 1, "path"]},
		{"msg": "Ingress/storefront: admin.example.com/ is also routed by Ingress ops/admin", "path": ["spec", "rules", 1, "http", "paths", 0, "path"]},
	}
}

test_first_of_the_list_reports_the_second if {
	findings := duplicate_ingress_path.deny with input as ingress("shop", "api", [rule("shop.example.com", ["/api"])])
		with data.tollgate.inventory as inventory
	findings == {{"msg": "Ingress/api: shop.example.com/api is also routed by Ingress shop/storefront", "path": ["spec", "rules", 0, "http", "paths", 0, "path"]}}
}

# A path entry without `path` is filed under "", at the entry.
test_entry_without_path if {
	doc := ingress("a", "x", [{"host": "h", "http": {"paths": [{"pathType": "ImplementationSpecific"}]}}])
	findings := duplicate_ingress_path.deny with input as doc with data.tollgate.inventory as {"ingress_paths": {"h": {"": ["a/x", "b/y"]}}}
	findings == {{"msg": "Ingress/x: h (no path) is also routed by Ingress b/y", "path": ["spec", "rules", 0, "http", "paths", 0]}}
}

# No namespace: filed under "default", like the inventory.
test_default_namespace if {
	doc := {"kind": "Ingress", "metadata": {"name": "x"}, "spec": {"rules": [rule("h", ["/"])]}}
	count(duplicate_ingress_path.deny) == 1 with input as doc with data.tollgate.inventory as {"ingress_paths": {"h": {"/": ["a/x", "default/x"]}}}
	count(duplicate_ingress_path.deny) == 0 with input as doc with data.tollgate.inventory as {"ingress_paths": {"h": {"/": ["default/x"]}}}
}

test_hostless_and_malformed_pass if {
	inv := {"ingress_paths": {"": {"/": ["a/b", "c/d"]}}}
	count(duplicate_ingress_path.deny) == 0 with input as ingress("a", "b", [{"http": {"paths": [{"path": "/"}]}}]) with data.tollgate.inventory as inv
	count(duplicate_ingress_path.deny) == 0 with input as ingress("a", "b", [rule("", ["/"])]) with data.tollgate.inventory as inv
	count(duplicate_ingress_path.deny) == 0 with input as ingress("a", "b", "x") with data.tollgate.inventory as inv
	count(duplicate_ingress_path.deny) == 0 with input as ingress("a", "b", [{"host": "h", "http": {"paths": [3, {"path": 4}]}}]) with data.tollgate.inventory as {"ingress_paths": {"h": {"": ["a/b", "c/d"]}}}
	count(duplicate_ingress_path.deny) == 0 with input as ingress("a", "b", [rule("h", ["/"])]) with data.tollgate.inventory as {"ingress_paths": {"h": {"/": "a/b"}}}
}
