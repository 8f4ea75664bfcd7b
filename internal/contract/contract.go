// Package contract holds meshprobe's user-facing names: the labels, annotations,
// object names, ports, environment variables and file paths that the webhook, the
// sidecar and the control plane agree on, as docs/contract.md lists them for users;
// change one only on purpose, and keep README and manifests in step.
package contract

// Labels and annotations that users set or see on pods and namespaces.
const (
	// LabelInject on a namespace ("enabled") or a pod ("true"/"false") selects pods
	// for injection. A pod's "false" always wins.
	LabelInject = "meshprobe.io/inject"
	// NamespaceInjectEnabled is the namespace label value that enables injection.
	NamespaceInjectEnabled = "enabled"
	// LabelMesh on a namespace is the admin's decision whether its injected pods
	// get the gossip key: "enabled" gives it to a namespace whose pods opt in one
	// by one, "disabled" withholds it from a namespace with injection enabled.
	// Without it, a namespace gets the key when injection is enabled.
	LabelMesh = "meshprobe.io/mesh"
	// NamespaceMeshEnabled and NamespaceMeshDisabled are the LabelMesh values.
	NamespaceMeshEnabled  = "enabled"
	NamespaceMeshDisabled = "disabled"
	// AnnotationChecks holds the YAML or JSON list of synthetic checks.
	AnnotationChecks = "meshprobe.io/checks"
	// AnnotationSidecar holds the pod's settings of its sidecar (YAML or JSON):
	// env, envFrom, volumeMounts, resources, logLevel, rtt and ports.
	AnnotationSidecar = "meshprobe.io/sidecar"
	// AnnotationInjected records the meshprobe version that injected the pod.
	AnnotationInjected = "meshprobe.io/injected"
	// LabelMember marks injected pods ("true"); PodMonitors select on it.
	LabelMember = "meshprobe.io/member"
	// LabelRole marks the control-plane replica that currently leads ("leader").
	LabelRole = "meshprobe.io/role"
	// RoleLeader is the LabelRole value of the elected leader.
	RoleLeader = "leader"
	// LabelApp is the conventional app label that meshprobe reports per member.
	LabelApp = "app.kubernetes.io/name"
	// LabelAppShort is the fallback app label when LabelApp is absent.
	LabelAppShort = "app"
	// LabelVersion is the conventional version label reported per member.
	LabelVersion = "app.kubernetes.io/version"
)

// Names of objects that meshprobe creates or expects.
const (
	// SidecarContainerName is the name of the injected container.
	SidecarContainerName = "meshprobe-sidecar"
	// GossipServiceName is the headless Service that sidecars join through.
	GossipServiceName = "meshprobe-gossip"
	// GossipKeySecretName is the Secret holding the memberlist keyring.
	GossipKeySecretName = "meshprobe-gossip-key"
	// GossipKeySecretKey is the data key in GossipKeySecretName: base64 32-byte
	// AES-256 keys, one per line, the first line being the primary key.
	GossipKeySecretKey = "keys"
	// DefaultNamespace is the namespace meshprobe's control plane runs in.
	DefaultNamespace = "meshprobe-system"
	// LeaseName is the Lease the control-plane replicas elect a leader with.
	LeaseName = "meshprobe-leader"
)

// Ports on the injected sidecar, by name and default number. The defaults and
// the fallback range 14102-14117 are in a block (14095-14133) that IANA has not
// assigned and that no common software uses by default (webhook/README.md lists
// what was checked); when a pod's containers declare a default, the webhook
// takes the lowest free ports of the range instead.
const (
	PortNameGossip        = "meshprobe-gossip"
	PortNameHTTP          = "meshprobe-http"
	DefaultGossipPort     = 14100
	DefaultHTTPPort       = 14101
	DefaultPortRangeFirst = 14102
	DefaultPortRangeLast  = 14117
)

// Container port names of the injected sidecar. A container port name is an IANA
// service name (at most 15 characters) and unique within its container, so
// PortNameGossip (16 characters) cannot name a port: the gossip port is named once
// per protocol instead, with the same number for TCP and UDP.
const (
	PortNameGossipTCP = "meshprobe-gtcp"
	PortNameGossipUDP = "meshprobe-gudp"
)

// Environment variables and files that injection provides to the sidecar.
const (
	EnvPodName      = "POD_NAME"
	EnvPodNamespace = "POD_NAMESPACE"
	EnvPodIP        = "POD_IP"
	EnvPodUID       = "POD_UID"
	EnvNodeName     = "NODE_NAME"
	EnvOwnerKind    = "MESHPROBE_OWNER_KIND"
	EnvOwnerName    = "MESHPROBE_OWNER_NAME"
	EnvGossipJoin   = "MESHPROBE_GOSSIP_JOIN"
	EnvGossipPort   = "MESHPROBE_GOSSIP_PORT"
	EnvHTTPPort     = "MESHPROBE_HTTP_PORT"
	EnvPodInfoDir   = "MESHPROBE_PODINFO_DIR"
	EnvGossipKeyDir = "MESHPROBE_GOSSIP_KEY_DIR"
	// EnvLogLevel, EnvRTTInterval, EnvRTTTimeout, EnvRTTPeers and
	// EnvRTTPeerPodLabels are sidecar knobs that the meshprobe.io/sidecar
	// settings logLevel and rtt.* set.
	EnvLogLevel         = "MESHPROBE_LOG_LEVEL"
	EnvRTTInterval      = "MESHPROBE_RTT_INTERVAL"
	EnvRTTTimeout       = "MESHPROBE_RTT_TIMEOUT"
	EnvRTTPeers         = "MESHPROBE_RTT_PEERS"
	EnvRTTPeerPodLabels = "MESHPROBE_RTT_PEER_POD_LABELS"
	// EnvGoMemLimit is the Go runtime's soft memory limit, set to the sidecar
	// container's memory limit (resourceFieldRef limits.memory).
	EnvGoMemLimit     = "GOMEMLIMIT"
	DefaultPodInfoDir = "/etc/meshprobe/podinfo"
	// PodInfoLabelsFile and PodInfoAnnotationsFile are the Downward API files in
	// the podinfo directory, in the k8s "key=\"value\"" per-line format.
	PodInfoLabelsFile      = "labels"
	PodInfoAnnotationsFile = "annotations"
	DefaultGossipKeyDir    = "/etc/meshprobe/gossip"
	PodInfoVolumeName      = "meshprobe-podinfo"
	GossipKeyVolumeName    = "meshprobe-gossip-key"
	// NoTokenVolumeName is the empty volume mounted over ServiceAccountTokenDir in
	// the sidecar, which needs no Kubernetes API access: with a mount at that path
	// the ServiceAccount admission plugin does not give it the app's token.
	NoTokenVolumeName      = "meshprobe-no-token"
	ServiceAccountTokenDir = "/var/run/secrets/kubernetes.io/serviceaccount"
)

// Owner kinds reported in member metadata.
const (
	OwnerDeployment  = "Deployment"
	OwnerStatefulSet = "StatefulSet"
	OwnerDaemonSet   = "DaemonSet"
	OwnerNone        = ""
)

// ThousandEyes sync: the ConfigMaps it reads, what it writes back, and its env.
const (
	// ThousandEyesDefaultSelector selects the ConfigMaps that declare ThousandEyes tests.
	ThousandEyesDefaultSelector = "app=thousandeyes-tests"
	// ThousandEyesConfigKey is the ConfigMap data key holding the k8s-thousandeyes config.
	ThousandEyesConfigKey = "config.yaml"
	// AnnotationThousandEyesSync is written on each ConfigMap with its last sync result (JSON).
	AnnotationThousandEyesSync = "meshprobe.io/thousandeyes-sync"
	// EnvTEAPIToken holds the ThousandEyes bearer token.
	EnvTEAPIToken = "TE_API_TOKEN"
	// EnvTEAPITokenFile names a file (a mounted Secret) holding the bearer token.
	EnvTEAPITokenFile = "TE_API_TOKEN_FILE"
	// EnvTEAPIURL is the ThousandEyes API base URL (default DefaultTEAPIURL).
	EnvTEAPIURL = "TE_API_URL"
	// EnvTEAID is the optional ThousandEyes account group id (query parameter aid).
	EnvTEAID = "TE_AID"
	// DefaultTEAPIURL is the ThousandEyes API v7 base URL.
	DefaultTEAPIURL = "https://api.thousandeyes.com/v7"
)

// Control-plane trust: the gossip-key copies, missed injections and the built-in
// webhook certificates (integrations/gossipkeys, missedinjection, webhookcerts).
const (
	// AnnotationRotateKey on the source gossip-key Secret (in the control plane's
	// namespace) requests a key rotation: set it to any value it has not had before.
	AnnotationRotateKey = "meshprobe.io/rotate-key"
	// LabelGossipKeyCopy ("true") marks the per-namespace copies of the gossip-key
	// Secret that the leader maintains.
	LabelGossipKeyCopy = "meshprobe.io/gossip-key-copy"
	// LabelManagedBy is the conventional label naming the tool that manages an
	// object; meshprobe sets it to ManagedBy on the Secrets it creates.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is meshprobe's value of LabelManagedBy.
	ManagedBy = "meshprobe"
	// WebhookConfigName is the MutatingWebhookConfiguration of the injector.
	WebhookConfigName = "meshprobe"
	// WebhookServiceName is the Service in front of the webhook replicas; the
	// serving certificate names <service>.<namespace>.svc.
	WebhookServiceName = "meshprobe-webhook"
	// WebhookTLSSecretName holds the built-in mode's CA bundle and serving
	// certificate (ca.crt, ca.key, tls.crt, tls.key).
	WebhookTLSSecretName = "meshprobe-webhook-tls"
	// AnnotationRestartedAt is the pod-template annotation `kubectl rollout
	// restart` sets; the missed-injection repair sets it the same way.
	AnnotationRestartedAt = "kubectl.kubernetes.io/restartedAt"
)
