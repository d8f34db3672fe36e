// Package deploy holds the Kubernetes manifests (k8s/base and the dev and prod
// overlays, built with kustomize) and the Dockerfiles of the query4code
// services. Its tests build every overlay with the kustomize API, decode each
// object strictly into its k8s.io/api type and check the policies the
// operations guide promises: gRPC probes, resources, a locked-down security
// context, named ports, matching selectors, existing references, network
// policies, autoscaling and disruption budgets.
package deploy
