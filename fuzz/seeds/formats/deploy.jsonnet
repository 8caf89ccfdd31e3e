// A Deployment built the way Jsonnet libraries build one: a function, a mixin, a loop.
local container(name, image, port) = {
  name: name,
  image: image,
  ports: [{ containerPort: port }],
};

local base = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          container('web', 'nginx:latest', 80),
          container('sidecar', 'envoy:1.29', 9901),
        ],
      },
    },
  },
};

base {
  metadata+: { labels+: { team: 'payments' } },
  spec+: { replicas: 3 },
  env:: 'prod',
  hosts: [h + '.example.com' for h in ['www', 'api']],
}
