package gossip

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/memberlist"
)

// keyWaitLogEvery is how often a member still waiting for its key file says so.
const keyWaitLogEvery = time.Minute

// readKeys reads and parses the key file. os.ReadFile follows symlinks, so the
// Kubernetes atomic writer's swap of the "..data" symlink is seen as a change of
// content on the next read.
func (m *Mesh) readKeys() (Keys, [32]byte, error) {
	data, err := os.ReadFile(m.cfg.KeyFile)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("gossip: reading key file: %w", err)
	}
	keys, err := ParseKeys(data)
	return keys, sha256.Sum256(data), err
}

// waitForKeys polls the key file until it holds a valid key; the member must not
// gossip unencrypted. It returns false when ctx ends first.
func (m *Mesh) waitForKeys(ctx context.Context) (Keys, bool) {
	var lastErr string
	var lastLog time.Time
	t := time.NewTicker(m.cfg.KeyPollInterval)
	defer t.Stop()
	for {
		keys, sum, err := m.readKeys()
		if err == nil {
			m.mu.Lock()
			m.keyHash = sum
			m.mu.Unlock()
			return keys, true
		}
		detail := fmt.Sprintf("not gossiping until the key file %s holds a valid key: %v", m.cfg.KeyFile, err)
		m.setState(StatusWaitingForKey, detail)
		if err.Error() != lastErr || time.Since(lastLog) >= keyWaitLogEvery {
			m.log.Warn("gossip: waiting for the gossip key; gossip is never unencrypted", "file", m.cfg.KeyFile, "err", err)
			lastErr, lastLog = err.Error(), time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-t.C:
		}
	}
}

// watchKeys polls the key file and applies every valid change to the keyring. An
// invalid or missing file keeps the current keyring.
func (m *Mesh) watchKeys(ctx context.Context) {
	t := time.NewTicker(m.cfg.KeyPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.reloadKeys()
	}
}

func (m *Mesh) reloadKeys() {
	keys, sum, err := m.readKeys()
	m.mu.RLock()
	same, ring := sum == m.keyHash, m.keyring
	m.mu.RUnlock()
	if same {
		return
	}
	m.mu.Lock()
	m.keyHash = sum
	m.mu.Unlock()
	if err != nil {
		m.log.Warn("gossip: key file unusable; keeping the current keyring", "file", m.cfg.KeyFile, "err", err)
		return
	}
	if err := applyKeys(ring, keys); err != nil {
		m.log.Error("gossip: updating the keyring failed", "err", err)
	}
	fps := Keys(ring.GetKeys()).Fingerprints()
	m.mu.Lock()
	changed := !slices.Equal(fps, m.meta.Keys)
	m.meta.Keys = fps
	m.encodeMetaLocked()
	m.mu.Unlock()
	if changed {
		m.log.Info("gossip: keyring updated", "keys", fps, "primaryKey", fps[0])
		m.broadcastMeta()
	}
}

// applyKeys makes ring hold exactly want, with want's first key as primary: new
// keys are added, the primary switched, and keys no longer listed removed (the
// primary is only ever removed after another became primary).
//
// memberlist's RemoveKey shifts the keyring's backing array in place, which a
// concurrent decrypt may be reading; removing only the last element never
// shifts. So keys are popped from the end until no dropped key is left, and the
// kept keys popped on the way are added back at once. In a normal rotation the
// dropped key is already last and nothing else moves.
func applyKeys(ring *memberlist.Keyring, want Keys) error {
	for _, k := range want {
		if err := ring.AddKey(bytes.Clone(k)); err != nil {
			return fmt.Errorf("adding key %s: %w", Fingerprint(k), err)
		}
	}
	if !bytes.Equal(ring.GetPrimaryKey(), want.Primary()) {
		if err := ring.UseKey(want.Primary()); err != nil {
			return fmt.Errorf("switching primary key to %s: %w", Fingerprint(want.Primary()), err)
		}
	}
	var readd Keys
	for dropsLeft(ring.GetKeys(), want) {
		have := ring.GetKeys()
		last := have[len(have)-1]
		if err := ring.RemoveKey(last); err != nil {
			return fmt.Errorf("removing key %s: %w", Fingerprint(last), err)
		}
		if want.index(last) >= 0 {
			readd = append(readd, last)
		}
	}
	for i := len(readd) - 1; i >= 0; i-- {
		if err := ring.AddKey(readd[i]); err != nil {
			return fmt.Errorf("re-adding key %s: %w", Fingerprint(readd[i]), err)
		}
	}
	return nil
}

// dropsLeft reports whether have holds a key that want does not.
func dropsLeft(have [][]byte, want Keys) bool {
	for _, k := range have {
		if want.index(k) < 0 {
			return true
		}
	}
	return false
}
