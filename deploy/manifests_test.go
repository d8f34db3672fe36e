package deploy

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// services are the query4code services with their gRPC ports.
var services = map[string]int32{"parser": 50051, "docs": 50052, "annotator": 50053, "orchestrator": 50054}

const (
	nameLabel   = "app.kubernetes.io/name"
	partOfLabel = "app.kubernetes.io/part-of"
	// defaultShutdownTimeout is the servers' --shutdown-timeout default.
	defaultShutdownTimeout = 10 * time.Second
	nonrootUID             = 65532
)

// overlay is one kustomize overlay and what is expected of it.
type overlay struct {
	name string
	dir  string
	// externalSecrets are Secrets (name -> key) the operator creates before
	// applying the overlay; required references to them are allowed.
	externalSecrets map[string][]string
	llm             string
	// traced: every service exports spans to an in-namespace collector.
	traced bool
}

var overlays = []overlay{
	{name: "dev", dir: "k8s/overlays/dev", llm: "offline"},
	{name: "prod", dir: "k8s/overlays/prod", llm: "openai", traced: true,
		externalSecrets: map[string][]string{"llm-api-key": {"api-key"}}},
}

// objects is a built overlay, decoded and indexed by kind and name.
type objects struct {
	overlay         overlay
	namespace       string
	deployments     map[string]*appsv1.Deployment
	services        map[string]*corev1.Service
	serviceAccounts map[string]*corev1.ServiceAccount
	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]*corev1.Secret
	pvcs            map[string]*corev1.PersistentVolumeClaim
	netpols         map[string]*networkingv1.NetworkPolicy
	hpas            map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs            map[string]*policyv1.PodDisruptionBudget
	jobs            map[string]*batchv1.Job
}

// build runs kustomize on the overlay's dir (through its Go API, so no binary is needed) and
// strictly decodes every object: an unknown field, a wrong type or an
// unexpected kind fails the test.
func build(t *testing.T, ov overlay) *objects {
	t.Helper()
	dir := ov.dir
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	objs := &objects{
		overlay:         ov,
		deployments:     map[string]*appsv1.Deployment{},
		services:        map[string]*corev1.Service{},
		serviceAccounts: map[string]*corev1.ServiceAccount{},
		configMaps:      map[string]*corev1.ConfigMap{},
		secrets:         map[string]*corev1.Secret{},
		pvcs:            map[string]*corev1.PersistentVolumeClaim{},
		netpols:         map[string]*networkingv1.NetworkPolicy{},
		hpas:            map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs:            map[string]*policyv1.PodDisruptionBudget{},
		jobs:            map[string]*batchv1.Job{},
	}
	namespaces := map[string]bool{}
	for _, res := range resMap.Resources() {
		data, err := res.AsYAML()
		if err != nil {
			t.Fatalf("%s: encode %s: %v", dir, res.CurId(), err)
		}
		gvk := res.GetApiVersion() + "/" + res.GetKind()
		name := res.GetName()
		var meta *metav1.ObjectMeta
		switch gvk {
		case "apps/v1/Deployment":
			meta = &decodeInto(t, data, gvk, objs.deployments, name).ObjectMeta
		case "v1/Service":
			meta = &decodeInto(t, data, gvk, objs.services, name).ObjectMeta
		case "v1/ServiceAccount":
			meta = &decodeInto(t, data, gvk, objs.serviceAccounts, name).ObjectMeta
		case "v1/ConfigMap":
			meta = &decodeInto(t, data, gvk, objs.configMaps, name).ObjectMeta
		case "v1/Secret":
			meta = &decodeInto(t, data, gvk, objs.secrets, name).ObjectMeta
		case "v1/PersistentVolumeClaim":
			meta = &decodeInto(t, data, gvk, objs.pvcs, name).ObjectMeta
		case "networking.k8s.io/v1/NetworkPolicy":
			meta = &decodeInto(t, data, gvk, objs.netpols, name).ObjectMeta
		case "autoscaling/v2/HorizontalPodAutoscaler":
			meta = &decodeInto(t, data, gvk, objs.hpas, name).ObjectMeta
		case "policy/v1/PodDisruptionBudget":
			meta = &decodeInto(t, data, gvk, objs.pdbs, name).ObjectMeta
		case "batch/v1/Job":
			meta = &decodeInto(t, data, gvk, objs.jobs, name).ObjectMeta
		default:
			t.Fatalf("%s: unexpected object %s %q: add it to the test's decoder", dir, gvk, name)
		}
		namespaces[meta.Namespace] = true
	}
	if len(namespaces) != 1 || namespaces[""] {
		t.Fatalf("%s: objects span namespaces %v; want one non-empty namespace", dir, namespaces)
	}
	for ns := range namespaces {
		objs.namespace = ns
	}
	return objs
}

// decodeInto strictly decodes data into a new T and files it under name.
func decodeInto[T any](t *testing.T, data []byte, gvk string, into map[string]*T, name string) *T {
	t.Helper()
	obj := new(T)
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		t.Fatalf("strict decode of %s %q: %v\n%s", gvk, name, err, data)
	}
	if _, dup := into[name]; dup {
		t.Fatalf("two %s objects named %q", gvk, name)
	}
	into[name] = obj
	return obj
}

func TestOverlaysBuildAndDecodeStrictly(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			objs := build(t, ov)
			for svc := range services {
				if objs.deployments[svc] == nil || objs.services[svc] == nil || objs.serviceAccounts[svc] == nil {
					t.Errorf("service %s lacks a Deployment, Service or ServiceAccount", svc)
				}
			}
		})
	}
}

func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	// Guards the guard: a misspelt field must not decode silently.
	bad := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n")
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(bad, &d); err == nil {
		t.Fatal("strict decoding accepted the unknown field spec.replica")
	}
}

func TestDeploymentPolicies(t *testing.T) {
	for _, ov := range overlays {
		objs := build(t, ov)
		for name, dep := range objs.deployments {
			t.Run(ov.name+"/"+name, func(t *testing.T) {
				checkDeployment(t, objs, dep)
			})
		}
	}
}

func checkDeployment(t *testing.T, objs *objects, dep *appsv1.Deployment) {
	pod := dep.Spec.Template
	if dep.Spec.Selector == nil {
		t.Fatal("no selector")
	}
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil || sel.Empty() {
		t.Fatalf("selector %v is invalid or empty (%v)", dep.Spec.Selector, err)
	}
	if !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("selector %v does not match pod labels %v", dep.Spec.Selector, pod.Labels)
	}

	spec := pod.Spec
	if sa := objs.serviceAccounts[spec.ServiceAccountName]; sa == nil {
		t.Errorf("ServiceAccount %q does not exist", spec.ServiceAccountName)
	} else if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("ServiceAccount %q mounts its API token; the services never call the API", sa.Name)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("pod mounts the service account token")
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod seccompProfile is not RuntimeDefault")
	}
	if len(spec.Containers) == 0 {
		t.Fatal("no containers")
	}
	for _, c := range spec.Containers {
		checkContainerSecurity(t, c)
		checkResources(t, c)
	}
	checkReferences(t, objs, &dep.Spec.Template.Spec)

	svc, isService := services[dep.Name]
	if !isService {
		return
	}
	if pod.Labels[partOfLabel] != "query4code" {
		t.Errorf("pod lacks %s=query4code (the metrics NetworkPolicy selects on it)", partOfLabel)
	}
	if psc != nil && (psc.RunAsUser == nil || *psc.RunAsUser != nonrootUID) {
		t.Errorf("pod runAsUser is not the image's nonroot user %d", nonrootUID)
	}
	c := spec.Containers[0]
	if _, tag, ok := strings.Cut(path.Base(c.Image), ":"); !ok || tag == "" || tag == "latest" {
		t.Errorf("image %q has no pinned tag", c.Image)
	}
	grpcPort := namedPort(c, "grpc")
	if grpcPort != svc {
		t.Errorf("container port named grpc is %d, want %d", grpcPort, svc)
	}
	env := containerEnv(t, objs, c)
	if addr := env[envName(dep.Name, "addr")]; !strings.HasSuffix(addr, ":"+strconv.Itoa(int(svc))) {
		t.Errorf("%s=%q does not listen on the grpc port %d", envName(dep.Name, "addr"), addr, svc)
	}
	metricsAddr := env[envName(dep.Name, "metrics-addr")]
	if metricsAddr == "" || !strings.HasSuffix(metricsAddr, ":"+strconv.Itoa(int(namedPort(c, "metrics")))) {
		t.Errorf("%s=%q does not match the container port named metrics", envName(dep.Name, "metrics-addr"), metricsAddr)
	}
	for probeName, probe := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		switch {
		case probe == nil:
			t.Errorf("no %s probe", probeName)
		case probe.GRPC == nil:
			t.Errorf("%s probe is not a native grpc probe", probeName)
		case probe.GRPC.Port != svc:
			t.Errorf("%s probe checks port %d, want the grpc port %d", probeName, probe.GRPC.Port, svc)
		}
	}
	shutdown := defaultShutdownTimeout
	if raw, ok := env[envName(dep.Name, "shutdown-timeout")]; ok {
		shutdown, err = time.ParseDuration(raw)
		if err != nil {
			t.Fatalf("shutdown timeout %q: %v", raw, err)
		}
	}
	grace := time.Duration(ptrOr(spec.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)) * time.Second
	if grace <= shutdown {
		t.Errorf("terminationGracePeriodSeconds %v is not above the shutdown timeout %v", grace, shutdown)
	}
	checkWritablePaths(t, dep, c, env)
}

func checkContainerSecurity(t *testing.T, c corev1.Container) {
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("container %s has no securityContext", c.Name)
		return
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container %s allows privilege escalation", c.Name)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container %s root filesystem is writable", c.Name)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("container %s is privileged", c.Name)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container %s does not drop all capabilities (or adds some): %+v", c.Name, sc.Capabilities)
	}
}

func checkResources(t *testing.T, c corev1.Container) {
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := c.Resources.Requests[res]
		lim, hasLim := c.Resources.Limits[res]
		if !hasReq || !hasLim || req.IsZero() || lim.IsZero() {
			t.Errorf("container %s: %s request and limit must both be set", c.Name, res)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("container %s: %s request %s is above its limit %s", c.Name, res, req.String(), lim.String())
		}
	}
}

// checkReferences: every ConfigMap, Secret, PVC a pod uses exists (a Secret
// may instead be optional or created by the operator, as the overlay says).
func checkReferences(t *testing.T, objs *objects, spec *corev1.PodSpec) {
	ov := objs.overlay
	secretOK := func(name, key string, optional *bool) {
		if optional != nil && *optional {
			return
		}
		if s := objs.secrets[name]; s != nil {
			if _, ok := s.Data[key]; !ok && key != "" {
				if _, ok := s.StringData[key]; !ok {
					t.Errorf("Secret %q has no key %q", name, key)
				}
			}
			return
		}
		if keys, ok := ov.externalSecrets[name]; ok && (key == "" || slices.Contains(keys, key)) {
			return
		}
		t.Errorf("required Secret %q (key %q) neither exists nor is documented as operator-created", name, key)
	}
	configMapOK := func(name, key string, optional *bool) {
		cm := objs.configMaps[name]
		if cm == nil {
			if optional == nil || !*optional {
				t.Errorf("ConfigMap %q does not exist", name)
			}
			return
		}
		if key != "" {
			if _, ok := cm.Data[key]; !ok {
				t.Errorf("ConfigMap %q has no key %q", name, key)
			}
		}
	}
	for _, c := range spec.Containers {
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef != nil {
				configMapOK(from.ConfigMapRef.Name, "", from.ConfigMapRef.Optional)
			}
			if from.SecretRef != nil {
				secretOK(from.SecretRef.Name, "", from.SecretRef.Optional)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				configMapOK(r.Name, r.Key, r.Optional)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				secretOK(r.Name, r.Key, r.Optional)
			}
		}
		for _, m := range c.VolumeMounts {
			if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
				t.Errorf("container %s mounts volume %q the pod does not define", c.Name, m.Name)
			}
		}
	}
	for _, v := range spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			configMapOK(v.ConfigMap.Name, "", v.ConfigMap.Optional)
		case v.Secret != nil:
			secretOK(v.Secret.SecretName, "", v.Secret.Optional)
		case v.PersistentVolumeClaim != nil:
			if objs.pvcs[v.PersistentVolumeClaim.ClaimName] == nil {
				t.Errorf("PersistentVolumeClaim %q does not exist", v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
}

// checkWritablePaths: with a read-only root filesystem every file or directory
// a service writes must lie on a mounted volume, and the orchestrator's store
// and outputs on its PersistentVolumeClaim.
func checkWritablePaths(t *testing.T, dep *appsv1.Deployment, c corev1.Container, env map[string]string) {
	writes := map[string][]string{
		"parser":       {"git-temp-dir"},
		"docs":         {"cache-db", "popularity-db"},
		"orchestrator": {"store", "output-root"},
	}[dep.Name]
	for _, flag := range writes {
		p := env[envName(dep.Name, flag)]
		if p == "" || !path.IsAbs(p) {
			t.Errorf("%s=%q: want an absolute path on a volume", envName(dep.Name, flag), p)
			continue
		}
		vol := volumeFor(dep, c, p)
		if vol == nil {
			t.Errorf("%s=%q lies on the read-only root filesystem", envName(dep.Name, flag), p)
			continue
		}
		if dep.Name == "orchestrator" && vol.PersistentVolumeClaim == nil {
			t.Errorf("%s=%q is on volume %q, not the PersistentVolumeClaim", envName(dep.Name, flag), p, vol.Name)
		}
	}
}

// volumeFor returns the writable volume mounted at the longest prefix of p.
func volumeFor(dep *appsv1.Deployment, c corev1.Container, p string) *corev1.Volume {
	var best *corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		if m.ReadOnly || (p != m.MountPath && !strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")) {
			continue
		}
		if best == nil || len(m.MountPath) > len(best.MountPath) {
			best = &c.VolumeMounts[i]
		}
	}
	if best == nil {
		return nil
	}
	for i, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == best.Name {
			return &dep.Spec.Template.Spec.Volumes[i]
		}
	}
	return nil
}

func TestServices(t *testing.T) {
	for _, ov := range overlays {
		objs := build(t, ov)
		for name, svc := range objs.services {
			t.Run(ov.name+"/"+name, func(t *testing.T) {
				if len(svc.Spec.Selector) == 0 {
					t.Fatal("Service has no selector")
				}
				dep := deploymentSelectedBy(objs, labels.SelectorFromSet(svc.Spec.Selector))
				if dep == nil {
					t.Fatalf("selector %v matches no Deployment's pods", svc.Spec.Selector)
				}
				_, isQ4C := services[dep.Name]
				for _, p := range svc.Spec.Ports {
					if isQ4C && p.Name != "grpc" {
						t.Errorf("port %d is named %q, want grpc", p.Port, p.Name)
					}
					if p.TargetPort.Type == intstr.String && namedPort(dep.Spec.Template.Spec.Containers[0], p.TargetPort.StrVal) == 0 {
						t.Errorf("targetPort %q is not a port of Deployment %s", p.TargetPort.StrVal, dep.Name)
					}
					if isQ4C && p.Port != services[dep.Name] {
						t.Errorf("port %d, want %d", p.Port, services[dep.Name])
					}
				}
			})
		}
	}
}

func TestOrchestratorReachesUpstreams(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			objs := build(t, ov)
			headless := objs.services["annotator-headless"]
			if headless == nil {
				t.Fatal("no annotator-headless Service")
			}
			if headless.Spec.ClusterIP != corev1.ClusterIPNone {
				t.Errorf("annotator-headless clusterIP is %q, want None", headless.Spec.ClusterIP)
			}
			orch := objs.deployments["orchestrator"]
			if orch == nil {
				t.Fatal("no orchestrator Deployment")
			}
			if r := ptrOr(orch.Spec.Replicas, 1); r != 1 {
				t.Errorf("orchestrator has %d replicas; one bbolt file allows one writer", r)
			}
			if orch.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
				t.Errorf("orchestrator strategy %q: a rolling update runs two writers of the store", orch.Spec.Strategy.Type)
			}
			env := containerEnv(t, objs, orch.Spec.Template.Spec.Containers[0])
			tests := []struct {
				flag, service string
				wantHeadless  bool
			}{
				{"parser-addr", "parser", false},
				{"docs-addr", "docs", false},
				{"annotator-addr", "annotator", true},
			}
			for _, tc := range tests {
				target := env[envName("orchestrator", tc.flag)]
				host, port, ok := dnsTarget(target)
				if !ok {
					t.Errorf("%s=%q is not a dns:///host:port target", envName("orchestrator", tc.flag), target)
					continue
				}
				svc := objs.services[host]
				if svc == nil {
					t.Errorf("%s=%q names no Service", envName("orchestrator", tc.flag), target)
					continue
				}
				if tc.wantHeadless && svc.Spec.ClusterIP != corev1.ClusterIPNone {
					t.Errorf("%s=%q: Service %s is not headless, so calls would not spread over pods", envName("orchestrator", tc.flag), target, host)
				}
				if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return strconv.Itoa(int(p.Port)) == port }) {
					t.Errorf("%s=%q: Service %s has no port %s", envName("orchestrator", tc.flag), target, host, port)
				}
				if dep := deploymentSelectedBy(objs, labels.SelectorFromSet(svc.Spec.Selector)); dep == nil || dep.Name != tc.service {
					t.Errorf("%s=%q does not lead to the %s pods", envName("orchestrator", tc.flag), target, tc.service)
				}
			}
		})
	}
}

// dnsTarget splits a gRPC target "dns:///host:port".
func dnsTarget(target string) (host, port string, ok bool) {
	rest, ok := strings.CutPrefix(target, "dns:///")
	if !ok {
		return "", "", false
	}
	host, port, ok = strings.Cut(rest, ":")
	return host, port, ok && host != "" && port != ""
}

// peer is a pod that opens a connection, described by its labels.
type peer map[string]string

var (
	fromOrchestrator = peer{nameLabel: "orchestrator", partOfLabel: "query4code"}
	fromParser       = peer{nameLabel: "parser", partOfLabel: "query4code"}
	fromAnnotator    = peer{nameLabel: "annotator", partOfLabel: "query4code"}
	fromDocs         = peer{nameLabel: "docs", partOfLabel: "query4code"}
	fromClient       = peer{"app": "grpcurl"}
)

func TestNetworkPolicies(t *testing.T) {
	tests := []struct {
		name     string
		from     peer
		sameNS   bool
		to       string // Deployment name
		port     string // container port name
		want     bool
		overlays []string // empty: all
	}{
		{"orchestrator to parser", fromOrchestrator, true, "parser", "grpc", true, nil},
		{"orchestrator to docs", fromOrchestrator, true, "docs", "grpc", true, nil},
		{"orchestrator to annotator", fromOrchestrator, true, "annotator", "grpc", true, nil},
		{"client in namespace to orchestrator", fromClient, true, "orchestrator", "grpc", true, nil},
		{"client in another namespace to orchestrator", fromClient, false, "orchestrator", "grpc", false, nil},
		{"client to annotator", fromClient, true, "annotator", "grpc", false, nil},
		{"client to parser", fromClient, true, "parser", "grpc", false, nil},
		{"annotator to parser", fromAnnotator, true, "parser", "grpc", false, nil},
		{"parser to docs", fromParser, true, "docs", "grpc", false, nil},
		{"docs to annotator", fromDocs, true, "annotator", "grpc", false, nil},
		{"prometheus scrapes parser", fromClient, false, "parser", "metrics", true, nil},
		{"prometheus scrapes annotator", fromClient, false, "annotator", "metrics", true, nil},
		{"prometheus scrapes orchestrator", fromClient, false, "orchestrator", "metrics", true, nil},
		{"parser exports traces", fromParser, true, "otel-collector", "otlp-http", true, []string{"prod"}},
		{"outsider to collector", fromClient, false, "otel-collector", "otlp-http", false, []string{"prod"}},
	}
	for _, ov := range overlays {
		objs := build(t, ov)
		t.Run(ov.name+"/default deny", func(t *testing.T) {
			if !hasDefaultDenyIngress(objs) {
				t.Error("no NetworkPolicy denies all ingress by default")
			}
		})
		t.Run(ov.name+"/policies select pods", func(t *testing.T) {
			for name, np := range objs.netpols {
				sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
				if err != nil {
					t.Errorf("NetworkPolicy %s: %v", name, err)
					continue
				}
				if !sel.Empty() && deploymentSelectedBy(objs, sel) == nil {
					t.Errorf("NetworkPolicy %s selects no pods (%v)", name, np.Spec.PodSelector)
				}
			}
		})
		for _, tc := range tests {
			if len(tc.overlays) > 0 && !slices.Contains(tc.overlays, ov.name) {
				continue
			}
			t.Run(ov.name+"/"+tc.name, func(t *testing.T) {
				dep := objs.deployments[tc.to]
				if dep == nil {
					t.Fatalf("no Deployment %s", tc.to)
				}
				if got := ingressAllowed(objs, tc.from, tc.sameNS, dep, tc.port); got != tc.want {
					t.Errorf("ingress allowed = %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestAnnotatorEgress(t *testing.T) {
	tests := []struct {
		name  string
		port  int32
		proto corev1.Protocol
		want  bool
	}{
		{"DNS over UDP", 53, corev1.ProtocolUDP, true},
		{"DNS over TCP", 53, corev1.ProtocolTCP, true},
		{"LLM over HTTPS", 443, corev1.ProtocolTCP, true},
		{"plain HTTP", 80, corev1.ProtocolTCP, false},
		{"a database", 5432, corev1.ProtocolTCP, false},
	}
	for _, ov := range overlays {
		objs := build(t, ov)
		ann := objs.deployments["annotator"]
		for _, tc := range tests {
			t.Run(ov.name+"/"+tc.name, func(t *testing.T) {
				if got := egressAllowedToAnywhere(objs, ann, tc.port, tc.proto); got != tc.want {
					t.Errorf("egress on %d/%s allowed = %v, want %v", tc.port, tc.proto, got, tc.want)
				}
			})
		}
	}
}

func hasDefaultDenyIngress(objs *objects) bool {
	for _, np := range objs.netpols {
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 &&
			slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && len(np.Spec.Ingress) == 0 {
			return true
		}
	}
	return false
}

// ingressAllowed evaluates the NetworkPolicies for a TCP connection from a pod
// with the given labels (in the same namespace or another one) to dep's pods on
// the container port named port. Pods no Ingress policy selects accept all.
func ingressAllowed(objs *objects, from peer, sameNS bool, dep *appsv1.Deployment, port string) bool {
	podLabels := labels.Set(dep.Spec.Template.Labels)
	portNumber := namedPort(dep.Spec.Template.Spec.Containers[0], port)
	isolated := false
	for _, np := range objs.netpols {
		if !slices.Contains(policyTypes(np), networkingv1.PolicyTypeIngress) || !selects(&np.Spec.PodSelector, podLabels) {
			continue
		}
		isolated = true
		for _, rule := range np.Spec.Ingress {
			if portsMatch(rule.Ports, port, portNumber, corev1.ProtocolTCP) && peersMatch(rule.From, from, sameNS) {
				return true
			}
		}
	}
	return !isolated
}

// egressAllowedToAnywhere: may dep's pods open a connection on port to an
// address outside the cluster?
func egressAllowedToAnywhere(objs *objects, dep *appsv1.Deployment, port int32, proto corev1.Protocol) bool {
	podLabels := labels.Set(dep.Spec.Template.Labels)
	isolated := false
	for _, np := range objs.netpols {
		if !slices.Contains(policyTypes(np), networkingv1.PolicyTypeEgress) || !selects(&np.Spec.PodSelector, podLabels) {
			continue
		}
		isolated = true
		for _, rule := range np.Spec.Egress {
			// An outside address matches only a rule with no peers or an ipBlock.
			outside := len(rule.To) == 0 || slices.ContainsFunc(rule.To, func(p networkingv1.NetworkPolicyPeer) bool { return p.IPBlock != nil })
			if outside && portsMatch(rule.Ports, "", port, proto) {
				return true
			}
		}
	}
	return !isolated
}

// policyTypes applies the API's default: Ingress, plus Egress when egress rules exist.
func policyTypes(np *networkingv1.NetworkPolicy) []networkingv1.PolicyType {
	if len(np.Spec.PolicyTypes) > 0 {
		return np.Spec.PolicyTypes
	}
	types := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if len(np.Spec.Egress) > 0 {
		types = append(types, networkingv1.PolicyTypeEgress)
	}
	return types
}

func selects(sel *metav1.LabelSelector, set labels.Set) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(set)
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, name string, number int32, proto corev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if ptrOr(p.Protocol, corev1.ProtocolTCP) != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == intstr.String && name != "" && p.Port.StrVal == name {
			return true
		}
		if p.Port.Type == intstr.Int && p.Port.IntVal == number {
			return true
		}
	}
	return false
}

func peersMatch(peers []networkingv1.NetworkPolicyPeer, from peer, sameNS bool) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if p.IPBlock != nil {
			continue
		}
		// A peer with only a podSelector means this namespace; a namespaceSelector
		// of {} means every namespace (the test knows no namespace labels).
		nsOK := sameNS
		if p.NamespaceSelector != nil {
			nsOK = len(p.NamespaceSelector.MatchLabels) == 0 && len(p.NamespaceSelector.MatchExpressions) == 0
		}
		podOK := p.PodSelector == nil || selects(p.PodSelector, labels.Set(from))
		if nsOK && podOK {
			return true
		}
	}
	return false
}

func TestAutoscalingAndDisruptionBudgets(t *testing.T) {
	tests := []struct {
		overlay  string
		wantHPAs []string
		wantPDBs []string
	}{
		{"dev", nil, nil},
		{"prod", []string{"annotator"}, []string{"annotator", "parser"}},
	}
	for _, tc := range tests {
		ov := overlayNamed(t, tc.overlay)
		t.Run(tc.overlay, func(t *testing.T) {
			objs := build(t, ov)
			var hpaTargets []string
			for name, hpa := range objs.hpas {
				ref := hpa.Spec.ScaleTargetRef
				dep := objs.deployments[ref.Name]
				if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || dep == nil {
					t.Errorf("HPA %s targets %s %s %q, not an existing Deployment", name, ref.APIVersion, ref.Kind, ref.Name)
					continue
				}
				hpaTargets = append(hpaTargets, ref.Name)
				if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 1 || *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas {
					t.Errorf("HPA %s replicas min %v max %d", name, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
				}
				if !slices.ContainsFunc(hpa.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
					return m.Resource != nil && m.Resource.Name == corev1.ResourceCPU
				}) {
					t.Errorf("HPA %s does not scale on CPU", name)
				}
				if _, ok := dep.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; !ok {
					t.Errorf("HPA %s scales on CPU utilisation but %s requests no CPU", name, dep.Name)
				}
			}
			slices.Sort(hpaTargets)
			if !slices.Equal(hpaTargets, tc.wantHPAs) {
				t.Errorf("HPAs target %v, want %v", hpaTargets, tc.wantHPAs)
			}

			var pdbTargets []string
			for name, pdb := range objs.pdbs {
				if pdb.Spec.Selector == nil {
					t.Errorf("PDB %s has no selector", name)
					continue
				}
				sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
				if err != nil || sel.Empty() {
					t.Errorf("PDB %s selector %v is invalid or empty", name, pdb.Spec.Selector)
					continue
				}
				dep := deploymentSelectedBy(objs, sel)
				if dep == nil {
					t.Errorf("PDB %s selects no Deployment's pods", name)
					continue
				}
				pdbTargets = append(pdbTargets, dep.Name)
				// A budget that equals the replica count blocks every node drain.
				replicas := ptrOr(dep.Spec.Replicas, 1)
				if hpa := objs.hpas[dep.Name]; hpa != nil && hpa.Spec.MinReplicas != nil {
					replicas = *hpa.Spec.MinReplicas
				}
				if pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int && pdb.Spec.MinAvailable.IntVal >= replicas {
					t.Errorf("PDB %s minAvailable %d leaves no pod of %s (%d replicas) evictable", name, pdb.Spec.MinAvailable.IntVal, dep.Name, replicas)
				}
			}
			slices.Sort(pdbTargets)
			if !slices.Equal(pdbTargets, tc.wantPDBs) {
				t.Errorf("PDBs protect %v, want %v", pdbTargets, tc.wantPDBs)
			}
		})
	}
}

func TestOverlaySettings(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			objs := build(t, ov)
			ann := objs.deployments["annotator"]
			env := containerEnv(t, objs, ann.Spec.Template.Spec.Containers[0])
			if got := env["Q4C_ANNOTATOR_LLM"]; got != ov.llm {
				t.Errorf("Q4C_ANNOTATOR_LLM = %q, want %q", got, ov.llm)
			}
			if ov.name == "dev" {
				for name, dep := range objs.deployments {
					if r := ptrOr(dep.Spec.Replicas, 1); r != 1 {
						t.Errorf("dev Deployment %s has %d replicas, want 1", name, r)
					}
				}
			}
			for svc := range services {
				dep := objs.deployments[svc]
				env := containerEnv(t, objs, dep.Spec.Template.Spec.Containers[0])
				if env["OTEL_SERVICE_NAME"] != svc {
					t.Errorf("%s: OTEL_SERVICE_NAME = %q", svc, env["OTEL_SERVICE_NAME"])
				}
				exporter := env["OTEL_TRACES_EXPORTER"]
				if !ov.traced {
					if exporter != "" {
						t.Errorf("%s exports traces (%q) in %s", svc, exporter, ov.name)
					}
					continue
				}
				if exporter != "otlp" {
					t.Errorf("%s: OTEL_TRACES_EXPORTER = %q, want otlp", svc, exporter)
				}
				checkCollectorEndpoint(t, objs, svc, env)
			}
		})
	}
}

// checkCollectorEndpoint: the OTLP endpoint names a Service in the overlay, on
// the port that matches the protocol, and the collector's config is mounted.
func checkCollectorEndpoint(t *testing.T, objs *objects, svc string, env map[string]string) {
	u, err := url.Parse(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
	if err != nil || u.Hostname() == "" {
		t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT %q is not a URL", svc, env["OTEL_EXPORTER_OTLP_ENDPOINT"])
		return
	}
	collector := objs.services[u.Hostname()]
	if collector == nil {
		t.Errorf("%s: OTLP endpoint host %q is no Service of the overlay", svc, u.Hostname())
		return
	}
	wantPort := map[string]string{"grpc": "otlp-grpc", "http/protobuf": "otlp-http", "": "otlp-http"}[env["OTEL_EXPORTER_OTLP_PROTOCOL"]]
	if !slices.ContainsFunc(collector.Spec.Ports, func(p corev1.ServicePort) bool {
		return strconv.Itoa(int(p.Port)) == u.Port() && p.Name == wantPort
	}) {
		t.Errorf("%s: OTLP endpoint %s is not the collector's %s port", svc, u, wantPort)
	}
	dep := deploymentSelectedBy(objs, labels.SelectorFromSet(collector.Spec.Selector))
	if dep == nil {
		t.Errorf("collector Service %s selects no Deployment", collector.Name)
		return
	}
	c := dep.Spec.Template.Spec.Containers[0]
	var configArg string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			configArg = v
		}
	}
	vol := volumeForAny(dep, c, configArg)
	if vol == nil || vol.ConfigMap == nil {
		t.Errorf("collector --config=%q is not on a ConfigMap volume", configArg)
		return
	}
	cm := objs.configMaps[vol.ConfigMap.Name]
	if cm == nil || cm.Data[path.Base(configArg)] == "" {
		t.Errorf("collector config %s missing from ConfigMap %s", path.Base(configArg), vol.ConfigMap.Name)
		return
	}
	var cfg struct {
		Receivers map[string]any `json:"receivers"`
		Service   struct {
			Pipelines map[string]struct {
				Receivers []string `json:"receivers"`
				Exporters []string `json:"exporters"`
			} `json:"pipelines"`
		} `json:"service"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data[path.Base(configArg)]), &cfg); err != nil {
		t.Errorf("collector config: %v", err)
		return
	}
	traces, ok := cfg.Service.Pipelines["traces"]
	if _, hasOTLP := cfg.Receivers["otlp"]; !ok || !hasOTLP || !slices.Contains(traces.Receivers, "otlp") || len(traces.Exporters) == 0 {
		t.Errorf("collector config has no traces pipeline from the otlp receiver to an exporter: %+v", cfg)
	}
}

// volumeForAny is volumeFor without the writable requirement.
func volumeForAny(dep *appsv1.Deployment, c corev1.Container, p string) *corev1.Volume {
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/") {
			for i, v := range dep.Spec.Template.Spec.Volumes {
				if v.Name == m.Name {
					return &dep.Spec.Template.Spec.Volumes[i]
				}
			}
		}
	}
	return nil
}

// containerEnv resolves c's environment from literal values and ConfigMaps
// (later entries win, as in the kubelet; Secret values are left out).
func containerEnv(t *testing.T, objs *objects, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			continue
		}
		cm := objs.configMaps[from.ConfigMapRef.Name]
		if cm == nil {
			continue // reported by checkReferences
		}
		for k, v := range cm.Data {
			env[from.Prefix+k] = v
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil:
			if cm := objs.configMaps[e.ValueFrom.ConfigMapKeyRef.Name]; cm != nil {
				env[e.Name] = cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]
			}
		}
	}
	return env
}

// envName is the services' environment fallback of a flag: Q4C_<SERVICE>_<FLAG>.
func envName(service, flag string) string {
	return fmt.Sprintf("Q4C_%s_%s", strings.ToUpper(service), strings.ToUpper(strings.ReplaceAll(flag, "-", "_")))
}

func namedPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func deploymentSelectedBy(objs *objects, sel labels.Selector) *appsv1.Deployment {
	for _, dep := range objs.deployments {
		if sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
			return dep
		}
	}
	return nil
}

func overlayNamed(t *testing.T, name string) overlay {
	t.Helper()
	for _, ov := range overlays {
		if ov.name == name {
			return ov
		}
	}
	t.Fatalf("no overlay %q", name)
	return overlay{}
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// corpusOverlay is the corpus scale-out kustomization (three Jobs). It runs in the prod
// namespace, next to the operator-created LLM key.
var corpusOverlay = overlay{name: "corpus", dir: "k8s/corpus", llm: "openai",
	externalSecrets: map[string][]string{"llm-api-key": {"api-key"}}}

// corpusJobs are the corpus Jobs, by the q4c command each runs.
var corpusJobs = map[string]string{"popularity": "corpus-popularity", "annotate": "corpus-annotate", "merge": "corpus-merge"}

// q4cArgs reads a q4c container's arguments: the command, --flag=value pairs and positional ones.
func q4cArgs(t *testing.T, c corev1.Container) (command string, flags map[string]string, positional []string) {
	t.Helper()
	if len(c.Command) != 0 {
		t.Errorf("container %s overrides the image's entrypoint (q4c) with %v", c.Name, c.Command)
	}
	if len(c.Args) == 0 {
		t.Fatalf("container %s has no arguments", c.Name)
	}
	flags = map[string]string{}
	for _, a := range c.Args[1:] {
		name, value, ok := strings.Cut(a, "=")
		switch {
		case strings.HasPrefix(a, "--") && ok:
			if _, dup := flags[name]; dup {
				t.Errorf("flag %s given twice", name)
			}
			flags[name] = value
		case strings.HasPrefix(a, "-"):
			t.Errorf("argument %q: write flags as --name=value so the test can read them", a)
		default:
			positional = append(positional, a)
		}
	}
	return c.Args[0], flags, positional
}

// podVolumeFor returns the volume mounted at the longest prefix of p (writable mounts only when
// writable is set).
func podVolumeFor(spec *corev1.PodSpec, c corev1.Container, p string, writable bool) *corev1.Volume {
	var best *corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		if (writable && m.ReadOnly) || (p != m.MountPath && !strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")) {
			continue
		}
		if best == nil || len(m.MountPath) > len(best.MountPath) {
			best = &c.VolumeMounts[i]
		}
	}
	if best == nil {
		return nil
	}
	for i, v := range spec.Volumes {
		if v.Name == best.Name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

func TestCorpusJobs(t *testing.T) {
	objs := build(t, corpusOverlay)
	if len(objs.deployments) != 0 || len(objs.services) != 0 {
		t.Errorf("the corpus kustomization holds Deployments or Services: its pods run the services in process")
	}
	if len(objs.jobs) != len(corpusJobs) {
		t.Errorf("%d Jobs, want %d (%v)", len(objs.jobs), len(corpusJobs), corpusJobs)
	}
	args := map[string]map[string]string{}
	positional := map[string][]string{}
	for command, name := range corpusJobs {
		job := objs.jobs[name]
		if job == nil {
			t.Fatalf("no Job %s", name)
		}
		t.Run(name, func(t *testing.T) {
			spec := &job.Spec.Template.Spec
			if job.Spec.Selector != nil || job.Spec.ManualSelector != nil {
				t.Error("the Job sets its own selector; let the controller generate it")
			}
			if p := spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
				t.Errorf("restartPolicy %q", p)
			}
			if sa := objs.serviceAccounts[spec.ServiceAccountName]; sa == nil {
				t.Errorf("ServiceAccount %q does not exist", spec.ServiceAccountName)
			} else if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Errorf("ServiceAccount %q mounts its API token; q4c never calls the API", sa.Name)
			}
			if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
				t.Error("pod mounts the service account token")
			}
			psc := spec.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != nonrootUID {
				t.Errorf("pod does not run as the image's nonroot user %d", nonrootUID)
			}
			if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Error("pod seccompProfile is not RuntimeDefault")
			}
			if len(spec.Containers) != 1 {
				t.Fatalf("%d containers, want one q4c", len(spec.Containers))
			}
			c := spec.Containers[0]
			checkContainerSecurity(t, c)
			checkResources(t, c)
			checkReferences(t, objs, spec)
			if base, tag, ok := strings.Cut(path.Base(c.Image), ":"); base != "q4c" || !ok || tag == "" || tag == "latest" {
				t.Errorf("image %q is not query4code/q4c with a pinned tag", c.Image)
			}
			got, flags, pos := q4cArgs(t, c)
			if got != command {
				t.Fatalf("runs q4c %s, want q4c %s", got, command)
			}
			args[command], positional[command] = flags, pos
			// What q4c writes must lie on the shared volume; what it reads from the corpus list on the ConfigMap.
			for _, flag := range []string{"--out", "--state-dir"} {
				p, ok := flags[flag]
				if !ok {
					continue
				}
				vol := podVolumeFor(spec, c, p, true)
				if vol == nil || vol.PersistentVolumeClaim == nil || vol.PersistentVolumeClaim.ClaimName != "corpus-data" {
					t.Errorf("%s=%s is not on the corpus-data volume", flag, p)
				}
			}
			if flag, ok := flags["--state-dir"]; command == "annotate" && !ok {
				t.Error("no --state-dir: a retried shard would lose its finished calls")
			} else if ok && !strings.Contains(flag, "$(JOB_COMPLETION_INDEX)") {
				t.Errorf("--state-dir=%s is shared by every shard", flag)
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" && !m.ReadOnly }) && command != "merge" {
				t.Error("no writable /tmp for git clones")
			}
			sources := flags["--sources-file"]
			vol := podVolumeFor(spec, c, sources, false)
			if vol == nil || vol.ConfigMap == nil {
				t.Fatalf("--sources-file=%s is not on a ConfigMap volume", sources)
			}
			if cm := objs.configMaps[vol.ConfigMap.Name]; cm == nil || cm.Data[path.Base(sources)] == "" {
				t.Errorf("ConfigMap %s has no key %s", vol.ConfigMap.Name, path.Base(sources))
			}
			if !networkPolicyCovers(objs, job.Spec.Template.Labels) {
				t.Error("no NetworkPolicy limits this Job's pods to DNS and https egress without ingress")
			}
		})
	}

	annotate, merge := objs.jobs["corpus-annotate"], objs.jobs["corpus-merge"]
	if annotate.Spec.CompletionMode == nil || *annotate.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("corpus-annotate is not an Indexed Job")
	}
	shards := ptrOr(annotate.Spec.Completions, 0)
	if shards < 1 {
		t.Fatalf("corpus-annotate completions %d", shards)
	}
	if p := ptrOr(annotate.Spec.Parallelism, 0); p < 1 || p > shards {
		t.Errorf("parallelism %d is not in 1..%d", p, shards)
	}
	if want := fmt.Sprintf("auto/%d", shards); args["annotate"]["--shard"] != want {
		t.Errorf("--shard=%s, want %s: every index must annotate one of the %d shards", args["annotate"]["--shard"], want, shards)
	}
	if got := args["merge"]["--expect-shards"]; got != strconv.Itoa(int(shards)) {
		t.Errorf("merge --expect-shards=%s, want the Indexed Job's %d completions", got, shards)
	}
	for _, flag := range []string{"--out", "--state-dir"} {
		if !strings.Contains(args["annotate"][flag], "$(JOB_COMPLETION_INDEX)") {
			t.Errorf("annotate %s=%s does not depend on the completion index", flag, args["annotate"][flag])
		}
	}
	indexEnv := slices.IndexFunc(annotate.Spec.Template.Spec.Containers[0].Env, func(e corev1.EnvVar) bool { return e.Name == "JOB_COMPLETION_INDEX" })
	if indexEnv < 0 {
		t.Error("JOB_COMPLETION_INDEX is not declared, so $(JOB_COMPLETION_INDEX) does not expand in args")
	} else if e := annotate.Spec.Template.Spec.Containers[0].Env[indexEnv]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil ||
		e.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("JOB_COMPLETION_INDEX is not the completion-index annotation: %+v", e)
	}
	// The Jobs hand their files to each other.
	if args["annotate"]["--popularity"] != args["popularity"]["--out"] {
		t.Errorf("annotate --popularity=%s is not what the first pass writes (%s)", args["annotate"]["--popularity"], args["popularity"]["--out"])
	}
	if shardRoot := path.Dir(args["annotate"]["--out"]); len(positional["merge"]) != 1 || positional["merge"][0] != shardRoot+"/*" {
		t.Errorf("merge reads %v, want the shard outputs %s/*", positional["merge"], shardRoot)
	}
	if args["merge"]["--sources-file"] != args["annotate"]["--sources-file"] || args["popularity"]["--sources-file"] != args["annotate"]["--sources-file"] {
		t.Error("the three Jobs read different corpus lists")
	}
	// Only the first pass starts on apply; the operator resumes the others in order.
	if ptrOr(objs.jobs["corpus-popularity"].Spec.Suspend, false) || !ptrOr(annotate.Spec.Suspend, false) || !ptrOr(merge.Spec.Suspend, false) {
		t.Error("want corpus-popularity running on apply, corpus-annotate and corpus-merge suspended")
	}
	env := containerEnv(t, objs, annotate.Spec.Template.Spec.Containers[0])
	if env["Q4C_ANNOTATOR_LLM"] != corpusOverlay.llm {
		t.Errorf("Q4C_ANNOTATOR_LLM=%q, want %q", env["Q4C_ANNOTATOR_LLM"], corpusOverlay.llm)
	}
	if pvc := objs.pvcs["corpus-data"]; pvc == nil || !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Error("corpus-data is not ReadWriteMany: the shard pods write it at once")
	}
}

// networkPolicyCovers: a policy selects pods with these labels, allows no ingress, and allows
// egress only to DNS and TCP 443.
func networkPolicyCovers(objs *objects, podLabels map[string]string) bool {
	for _, np := range objs.netpols {
		if !selects(&np.Spec.PodSelector, podLabels) {
			continue
		}
		types := policyTypes(np)
		if !slices.Contains(types, networkingv1.PolicyTypeIngress) || !slices.Contains(types, networkingv1.PolicyTypeEgress) || len(np.Spec.Ingress) != 0 {
			continue
		}
		ok := len(np.Spec.Egress) > 0
		for _, rule := range np.Spec.Egress {
			for _, p := range rule.Ports {
				dns := p.Port != nil && p.Port.IntValue() == 53
				https := p.Port != nil && p.Port.IntValue() == 443 && ptrOr(p.Protocol, corev1.ProtocolTCP) == corev1.ProtocolTCP
				if !dns && !https {
					ok = false
				}
			}
			if len(rule.Ports) == 0 {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}
