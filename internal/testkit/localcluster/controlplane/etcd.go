package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

func (cp *ControlPlane) startEtcd(ctx context.Context) error {
	_, err := cp.startWithRetry(ctx, BinEtcd, func(try int) (*Process, error) {
		clientPort, err := freeport.Pick("127.0.0.1", false)
		if err != nil {
			return nil, err
		}
		peerPort, err := freeport.Pick("127.0.0.1", false)
		if err != nil {
			return nil, err
		}
		client := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
		peer := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
		p, err := StartProcess(ProcessSpec{
			Name: BinEtcd,
			Path: filepath.Join(cp.cfg.BinDir, BinEtcd),
			Args: []string{
				"--name=default",
				"--data-dir=" + filepath.Join(cp.Dir, "etcd", fmt.Sprint(try)),
				"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
				"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
				"--initial-cluster=default=" + peer,
				"--unsafe-no-fsync=true", // throwaway data: durability buys nothing here
				"--log-level=warn",
			},
			LogPath: cp.LogPath(BinEtcd),
		})
		if err != nil {
			return nil, err
		}
		cp.etcdURL = client
		return p, WaitReady(ctx, p, cp.cfg.StartTimeout, func(ctx context.Context) error {
			return GetOK(ctx, http.DefaultClient, client+"/health")
		})
	})
	return err
}

// GetOK GETs url with c and fails unless the answer is 200 OK.
func GetOK(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
