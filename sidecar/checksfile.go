package sidecar

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// checksFileReader reads an agent's checks file (the cluster checks ConfigMap,
// mounted) and reports when it changed. A missing file is no checks, not an
// error: the ConfigMap is optional and appears once a cluster check exists.
type checksFileReader struct {
	path    string
	log     *slog.Logger
	change  changeDetector
	missing bool   // the file was missing at the last read
	lastErr string // the last read error, "" after a good read
}

// read returns the file's content and whether it changed since the last read.
// A read error is reported as changed only when it differs from the last one,
// so that a lasting error is logged once.
func (r *checksFileReader) read() ([]byte, bool, error) {
	b, err := readCapped(r.path, spec.MaxAnnotationBytes+1)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !r.missing {
			r.log.Info("agent: no checks file: running no checks until it appears", "file", r.path)
		}
		r.missing, r.lastErr, b = true, "", nil
	case err != nil:
		changed := err.Error() != r.lastErr
		r.lastErr = err.Error()
		return nil, changed, fmt.Errorf("agent: reading the checks file: %w", err)
	default:
		r.missing, r.lastErr = false, ""
	}
	return b, r.change.changed(b), nil
}

// readCapped reads at most limit bytes of the file at path: enough for
// spec.Parse to refuse an oversized file by its size.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

// loadChecks loads the first checks: a sidecar's from its pod's annotation, an
// agent's from its checks file.
func (a *Agent) loadChecks(info PodInfo) {
	if a.cfg.Mode != ModeAgent {
		_ = a.checks.Reload(info.Checks()) // an invalid annotation is logged and reported by the manager
		return
	}
	a.checksFile = &checksFileReader{path: a.cfg.ChecksFile, log: a.log}
	a.reloadChecksFile()
}

// reloadChecksFile reloads the checks when the checks file changed. A file that
// cannot be read, or does not parse (Reload), keeps the last good set running.
func (a *Agent) reloadChecksFile() {
	content, changed, err := a.checksFile.read()
	switch {
	case err != nil && changed:
		a.log.Warn("agent: checks file unreadable; keeping the last good checks", "err", err)
	case err == nil && changed:
		_ = a.checks.Reload(string(content)) // an invalid file is logged and reported by the manager
	}
}
