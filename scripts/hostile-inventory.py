#!/usr/bin/env python3
"""Generate the hostile repository of the cross-resource checks' cost (issue 14): one namespace
holding N apps, each a Deployment with labels of its own, a NetworkPolicy, a
PodDisruptionBudget, a Service, a ServiceAccount and (every other app) a
HorizontalPodAutoscaler, with selectors that differ in shape and value so that no deduplication
of selectors hides the cost of matching every workload against every selector. A second
namespace holds D Deployments that share one name, D ServiceAccounts of that name and D
HorizontalPodAutoscalers that target it (duplicates make a lookup by name a list of D entries).

With --decoys K, the namespace of the apps also holds K NetworkPolicies and K
PodDisruptionBudgets whose selectors ask only for labels every pod has (team=shop) plus a NotIn
that none passes: every one is a candidate for every workload, the worst case of the selector
index (tollgate matches at most 100 candidates per workload; K = 99 makes every workload match
100, a larger K makes every workload's answer "undecided").

Usage: scripts/hostile-inventory.py N DIR [--dups D] [--decoys K]
then:  cd DIR && /usr/bin/time -v tollgate check --rev HEAD --builtin all -o json

tests/it/cross_resource.rs builds the same repository (in Rust) at a moderate size and checks every
finding; the expected findings of app j are in that test (`expected_for_app`).
"""
import os
import subprocess
import sys


def app(j):
    """The manifests of app j (one file)."""
    name = f"app-{j}"
    # NetworkPolicy selectors, by shape: apps j % 5 in {0, 4} are selected (matchLabels on the
    # app, or an In set on the release), the others are not (a miss on an In set, a matchLabels
    # that adds a label no pod has, an Exists on a key of its own).
    shape = j % 5
    if shape == 0:
        np_sel = f"matchLabels: {{app: {name}}}"
    elif shape == 1:
        np_sel = f"matchExpressions: [{{key: app, operator: In, values: [{name}-canary, {name}-v2]}}]"
    elif shape == 2:
        np_sel = f"matchLabels: {{team: shop, release: r-{j}-old}}"
    elif shape == 3:
        np_sel = f"matchExpressions: [{{key: release-{j}, operator: Exists}}]"
    else:
        np_sel = f"matchExpressions: [{{key: release, operator: In, values: [r-{j}, r-{j}-next]}}, {{key: track, operator: NotIn, values: [canary-{j}]}}]"
    # PodDisruptionBudget selectors: j % 3 == 2 selects nothing.
    if j % 3 == 0:
        pdb_sel = f"matchLabels: {{app: {name}}}"
    elif j % 3 == 1:
        pdb_sel = f"matchExpressions: [{{key: release, operator: In, values: [r-{j}, r-{j}-x]}}]"
    else:
        pdb_sel = f"matchLabels: {{app: {name}, track: canary}}"
    replicas = "\n  replicas: 2" if j % 2 == 0 else ""
    automount = "false" if j % 2 == 0 else "true"
    docs = [
        f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:{replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, release: r-{j}, team: shop, track: stable, build-{j % 97}: b-{j}}}
    spec:
      serviceAccountName: sa-{j}
      containers:
        - name: main
          image: registry.example.com/{name}:1.0.{j}
""",
        f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: shop
spec:
  podSelector: {{{np_sel}}}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: {{matchLabels: {{tenant: t-{j}}}}}
          podSelector: {{matchExpressions: [{{key: caller, operator: In, values: [c-{j}]}}]}}
""",
        f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: shop
spec:
  maxUnavailable: 1
  selector: {{{pdb_sel}}}
""",
        f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector: {{app: {name}, release: r-{j}}}
  ports: [{{port: 80, targetPort: 8080}}]
""",
        f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-{j}
  namespace: shop
automountServiceAccountToken: {automount}
""",
    ]
    if j % 2 == 1:
        # Odd apps set no replicas: j % 4 == 1 gets 2 from its autoscaler, j % 4 == 3 gets 1.
        min_replicas = "\n  minReplicas: 2" if j % 4 == 1 else ""
        docs.append(
            f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: shop
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}{min_replicas}
  maxReplicas: 10
"""
        )
    return "---\n".join(docs)


def dup(i):
    """Member i of the duplicates namespace: a Deployment `web`, a ServiceAccount `web` that
    keeps the token, an autoscaler of `web` with a minReplicas of its own."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: dup
spec:
  template:
    metadata:
      labels: {{app: web, copy: c-{i}}}
    spec:
      serviceAccountName: web
      containers:
        - name: main
          image: registry.example.com/web:1.0.{i}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: dup
automountServiceAccountToken: true
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web-{i}
  namespace: dup
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: {i + 2}
  maxReplicas: {i + 10}
"""


def decoy(i):
    """Decoy i: a NetworkPolicy and a PodDisruptionBudget that every pod is a candidate for."""
    sel = f"{{matchLabels: {{team: shop}}, matchExpressions: [{{key: track, operator: NotIn, values: [stable, d-{i}]}}]}}"
    return f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: decoy-{i}
  namespace: shop
spec:
  podSelector: {sel}
  policyTypes: [Ingress]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: decoy-{i}
  namespace: shop
spec:
  maxUnavailable: 1
  selector: {sel}
"""


def option(args, name):
    if name not in args:
        return 0
    k = args.index(name)
    value = int(args[k + 1])
    del args[k : k + 2]
    return value


def main():
    args = sys.argv[1:]
    dups = option(args, "--dups")
    decoys = option(args, "--decoys")
    if len(args) != 2:
        sys.exit(__doc__)
    n, out = int(args[0]), args[1]
    os.makedirs(out, exist_ok=False)
    for j in range(n):
        d = os.path.join(out, "apps", f"{j // 500:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"app-{j}.yaml"), "w") as f:
            f.write(app(j))
    for i in range(dups):
        d = os.path.join(out, "dup")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"web-{i}.yaml"), "w") as f:
            f.write(dup(i))
    for i in range(decoys):
        d = os.path.join(out, "decoys")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"decoy-{i}.yaml"), "w") as f:
            f.write(decoy(i))
    git = ["git", "-c", "user.name=gen", "-c", "user.email=gen@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=out, check=True)
    subprocess.run(git + ["add", "-A"], cwd=out, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "hostile"], cwd=out, check=True)


if __name__ == "__main__":
    main()
