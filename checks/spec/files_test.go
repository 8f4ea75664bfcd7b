package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProtectedDir(t *testing.T) {
	tests := []struct {
		path string
		dir  string
	}{
		{"/etc/meshprobe/gossip", "/etc/meshprobe/gossip"},
		{"/etc/meshprobe/gossip/keys", "/etc/meshprobe/gossip"},
		{"/etc/meshprobe//gossip/./keys", "/etc/meshprobe/gossip"},
		{"/etc/meshprobe/gossip/../gossip/keys", "/etc/meshprobe/gossip"},
		{"/tmp/../../etc/meshprobe/gossip/keys", "/etc/meshprobe/gossip"},
		{"/var/run/secrets/kubernetes.io/serviceaccount/token", "/var/run/secrets/kubernetes.io/serviceaccount"},
		{"/run/secrets/kubernetes.io/serviceaccount/ca.crt", "/run/secrets/kubernetes.io/serviceaccount"},
		{"/proc/1/root/etc/meshprobe/gossip/keys", "/proc"},
		{"/proc", "/proc"},
		{"/dev/fd/0", "/dev/fd"},
		// Not protected: neighbours, prefixes that are not directories, a path
		// that only passes through a protected directory.
		{"/etc/meshprobe/gossipers/token", ""},
		{"/etc/meshprobe/podinfo/labels", ""},
		{"/etc/meshprobe/gossip/../podinfo/labels", ""},
		{"/procedures/token", ""},
		{"/var/run/secrets/probe/password", ""},
		{"/etc/probe/ca.pem", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			dir, what, ok := ProtectedDir(tt.path)
			assert.Equal(t, tt.dir, dir)
			assert.Equal(t, tt.dir != "", ok)
			assert.Equal(t, tt.dir != "", what != "")
		})
	}
}
