package webhook

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseSidecarSettingsNamesEveryBadField(t *testing.T) {
	_, err := ParseSidecarSettings([]byte(`
env:
- name: A
  valueFrom: {secretKeyRef: {name: s, key: k, colour: red}}
resources: {limits: {memory: lots}}
rtt: {interval: soon, peers: 2.5}
ports: {gossip: "14200"}
logLevel: [debug]
extra: 1
`))
	require.Error(t, err)
	var got []string
	for _, e := range unjoin(err) {
		var se *SettingsError
		require.ErrorAs(t, e, &se)
		got = append(got, se.Field)
	}
	assert.Equal(t, []string{
		"env[0].valueFrom.secretKeyRef.colour", "extra", "logLevel", "ports.gossip",
		"resources.limits.memory", "rtt.interval", "rtt.peers",
	}, got)
}

func TestParseSidecarSettingsEmpty(t *testing.T) {
	for _, in := range []string{"", " \n", "null", "{}", "# nothing\n"} {
		s, err := ParseSidecarSettings([]byte(in))
		require.NoError(t, err, "%q", in)
		assert.True(t, reflect.DeepEqual(SidecarSettings{}, s), "%q", in)
	}
	_, err := ParseSidecarSettings([]byte("[1]"))
	require.EqualError(t, err, "want a mapping, got a list")
}

func TestSidecarSettingsValidate(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "creds"}}}}
	s, err := ParseSidecarSettings([]byte(`
env:
- {name: POD_NAME, value: x}
- {name: MESHPROBE_LOG_LEVEL, value: debug}
- {name: "1A", value: x}
- {name: B, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
envFrom:
- {}
volumeMounts:
- {name: creds, mountPath: /etc/meshprobe}
- {name: missing, mountPath: /x}
- {name: meshprobe-podinfo, mountPath: relative}
logLevel: loud
rtt: {peers: 0, timeout: 0s}
ports: {gossip: 80, http: 80}
resources: {requests: {memory: 1Gi}, limits: {memory: 64Mi}}
`))
	require.NoError(t, err)
	var fields []string
	for _, e := range s.validate(pod) {
		fields = append(fields, e.(*SettingsError).Field)
	}
	assert.Equal(t, []string{
		"env[0].name", "env[1].name", "env[2].name", "env[3].valueFrom.resourceFieldRef", "envFrom[0]",
		"volumeMounts[0].mountPath", "volumeMounts[1].name", "volumeMounts[2].name", "volumeMounts[2].mountPath",
		"logLevel", "rtt.timeout", "rtt.peers", "ports.gossip", "ports.http", "ports", "resources",
	}, fields)
}

func TestPodSettingsOverDefaults(t *testing.T) {
	cfg := testConfig()
	cfg.Sidecar = SidecarSettings{LogLevel: "warn", Env: []corev1.EnvVar{{Name: "A", Value: "cluster"}, {Name: "B", Value: "cluster"}}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		"meshprobe.io/sidecar": `{"env": [{"name": "B", "value": "pod"}], "resources": {"limits": {"memory": "96Mi"}}, "rtt": {"peerPodLabels": true}}`,
	}}}
	d := Inject(pod, "shop", &cfg)
	require.Equal(t, ReasonInjected, d.Reason)
	require.Empty(t, d.SettingsProblems)
	sc := d.Pod.Spec.InitContainers[0]
	env := map[string]string{}
	for _, e := range sc.Env {
		env[e.Name] = e.Value
	}
	assert.Equal(t, "warn", env["MESHPROBE_LOG_LEVEL"])
	assert.Equal(t, "true", env["MESHPROBE_RTT_PEER_POD_LABELS"])
	assert.Equal(t, "cluster", env["A"])
	assert.Equal(t, "pod", env["B"])
	assert.Equal(t, "96Mi", sc.Resources.Limits.Memory().String())
	assert.Equal(t, "200m", sc.Resources.Limits.Cpu().String(), "resources merge per resource")
	assert.Equal(t, "64Mi", cfg.Resources.Limits.Memory().String(), "the config is not modified")
}

func TestPinnedPorts(t *testing.T) {
	cfg := testConfig()
	pod := func(annot string, appPort int32) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"meshprobe.io/sidecar": annot}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: appPort}}}}},
		}
	}
	d := Inject(pod(`ports: {gossip: 20000, http: 20001}`, 14100), "shop", &cfg)
	require.Equal(t, ReasonInjected, d.Reason)
	assert.Empty(t, d.Warnings, "pinned ports that are free move nothing")
	assert.Equal(t, int32(20000), d.Pod.Spec.InitContainers[0].Ports[0].ContainerPort)
	assert.Equal(t, int32(20001), d.Pod.Spec.InitContainers[0].Ports[2].ContainerPort)

	d = Inject(pod(`ports: {gossip: 20000}`, 20000), "shop", &cfg)
	assert.Equal(t, ReasonPortConflict, d.Reason)
	require.Len(t, d.Warnings, 1)
	assert.Contains(t, d.Warnings[0], "the gossip port 20000 pinned by meshprobe.io/sidecar is taken")
}

// FuzzSidecarSettings feeds arbitrary annotations to the decoder and the
// validation: they never panic, every problem names a field or the whole value,
// and what decodes survives a JSON round trip.
func FuzzSidecarSettings(f *testing.F) {
	f.Add([]byte(`{env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}], volumeMounts: [{name: v, mountPath: /v}]}`))
	f.Add([]byte(`resources: {limits: {memory: 1Gi}}` + "\nrtt: {interval: 1s, peers: 3, peerPodLabels: true}\nports: {gossip: 20000}"))
	f.Add([]byte(`envFrom: [{prefix: P_, secretRef: {name: s}}]` + "\nlogLevel: debug"))
	f.Add([]byte("- a\n- b"))
	f.Add([]byte(`{"env": [{"name": 1}], "x": {"y": []}}`))
	pod := &corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v"}}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSidecarSettings(data)
		if err != nil {
			for _, e := range unjoin(err) {
				if e.Error() == "" {
					t.Fatal("empty problem")
				}
			}
			return
		}
		for _, e := range s.validate(pod) {
			if e.Error() == "" {
				t.Fatal("empty problem")
			}
		}
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseSidecarSettings(js)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", js, err)
		}
		js2, _ := json.Marshal(again)
		if string(js) != string(js2) {
			t.Fatalf("round trip changed the settings:\n%s\n%s", js, js2)
		}
	})
}
