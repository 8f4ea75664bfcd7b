package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// PodInfo is what the Downward API volume tells the sidecar about its pod.
type PodInfo struct {
	Labels      map[string]string
	Annotations map[string]string
}

// App returns the pod's app label: app.kubernetes.io/name, else app.
func (p PodInfo) App() string {
	if v := p.Labels[contract.LabelApp]; v != "" {
		return v
	}
	return p.Labels[contract.LabelAppShort]
}

// Version returns the pod's app.kubernetes.io/version label.
func (p PodInfo) Version() string { return p.Labels[contract.LabelVersion] }

// labelZone is the node's zone label. kube-apiserver's PodTopologyLabels
// admission (feature gate PodTopologyLabelsAdmission, beta and on by default in
// 1.37) copies it from the Node onto the pod when the pod is bound, so the
// Downward API labels file has it from the container's start.
const labelZone = "topology.kubernetes.io/zone"

// Zone returns the pod's topology.kubernetes.io/zone label, empty when the node
// has none or the apiserver does not copy it.
func (p PodInfo) Zone() string { return p.Labels[labelZone] }

// Checks returns the meshprobe.io/checks annotation.
func (p PodInfo) Checks() string { return p.Annotations[contract.AnnotationChecks] }

// ParsePodInfoFile parses the Downward API file format: one `key="value"` per
// line, the value quoted as Go quotes strings (newlines and quotes escaped).
// Errors name the line.
func ParsePodInfoFile(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, quoted, ok := strings.Cut(line, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("line %d: want key=\"value\"", i+1)
		}
		val, err := strconv.Unquote(quoted)
		if err != nil || !strings.HasPrefix(quoted, `"`) {
			return nil, fmt.Errorf("line %d: value of %q is not a quoted string", i+1, key)
		}
		out[key] = val
	}
	return out, nil
}

// podInfoReader reads the podinfo directory and reports when it changed.
type podInfoReader struct {
	dir    string
	change changeDetector
}

// read returns the current PodInfo and whether the files changed since the last
// read. Missing files read as empty (a process outside Kubernetes).
func (r *podInfoReader) read() (PodInfo, bool, error) {
	var raw [2][]byte
	for i, name := range []string{contract.PodInfoLabelsFile, contract.PodInfoAnnotationsFile} {
		b, err := os.ReadFile(filepath.Join(r.dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return PodInfo{}, false, fmt.Errorf("sidecar: reading podinfo: %w", err)
		}
		raw[i] = b
	}
	changed := r.change.changed(raw[:]...)
	labels, err := ParsePodInfoFile(raw[0])
	if err != nil {
		return PodInfo{}, changed, fmt.Errorf("sidecar: podinfo %s: %w", contract.PodInfoLabelsFile, err)
	}
	annotations, err := ParsePodInfoFile(raw[1])
	if err != nil {
		return PodInfo{}, changed, fmt.Errorf("sidecar: podinfo %s: %w", contract.PodInfoAnnotationsFile, err)
	}
	return PodInfo{Labels: labels, Annotations: annotations}, changed, nil
}

// watch calls onChange with every changed, valid PodInfo until ctx ends.
func (r *podInfoReader) watch(ctx context.Context, every time.Duration, onChange func(PodInfo), onError func(error)) {
	pollEvery(ctx, every, func() {
		info, changed, err := r.read()
		switch {
		case err != nil && changed:
			onError(err)
		case err == nil && changed:
			onChange(info)
		}
	})
}
