//go:build linux

package sidecar

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// Layout of the series benchmark's pods: pod i runs app i%seriesApps, in the
// namespace of its app, on node i%seriesNodes, in zone node%seriesZones, and
// declares the next namespace as a dependency (MESHPROBE_RTT_PEER_NAMESPACES).
const (
	seriesApps       = 16
	seriesNamespaces = 4
	seriesNodes      = 6
	seriesZones      = 3
	// seriesSlack is the "small constant" of the growth bound: one label set.
	seriesSlack = 35
)

// seriesFigures are one mesh size's series counts.
type seriesFigures struct {
	maxPerSidecar, total, totalAll, bytesPerScrape int
	oldPerSidecar                                  int // what the per-peer labels gave, from the layout
}

// BenchmarkSidecarSeries runs meshes of 16 and 64 real meshprobe-sidecar
// processes on loopback (encrypted gossip, default intervals) with the layout
// above: 16 apps in 4 namespaces over 6 nodes in 3 zones. Once every sidecar
// lists every member, it scrapes each one and reports the meshprobe_* series of
// the largest scrape (series/sidecar), their sum over the mesh (series-total),
// every series (Go and process included: all-series-total), the exposition's
// bytes per scrape, and, for comparison, the series one sidecar had with the
// per-peer labels of before (old-series/sidecar: 4 + 35 per (namespace, app,
// node) group of its peers). It fails when the per-sidecar count at 64 members
// exceeds 1.2 x the count at 16 plus 35 (one label set).
//
// Run: go test -run '^$' -bench BenchmarkSidecarSeries -benchtime 1x -timeout 20m ./sidecar/
func BenchmarkSidecarSeries(b *testing.B) {
	for range b.N {
		small := benchSeries(b, 16)
		large := benchSeries(b, 64)
		for _, f := range []struct {
			n int
			s seriesFigures
		}{{16, small}, {64, large}} {
			b.ReportMetric(float64(f.s.maxPerSidecar), fmt.Sprintf("series/sidecar@%d", f.n))
			b.ReportMetric(float64(f.s.total), fmt.Sprintf("series-total@%d", f.n))
			b.ReportMetric(float64(f.s.totalAll), fmt.Sprintf("all-series-total@%d", f.n))
			b.ReportMetric(float64(f.s.bytesPerScrape), fmt.Sprintf("bytes/scrape@%d", f.n))
			b.ReportMetric(float64(f.s.oldPerSidecar), fmt.Sprintf("old-series/sidecar@%d", f.n))
		}
		if limit := 1.2*float64(small.maxPerSidecar) + seriesSlack; float64(large.maxPerSidecar) > limit {
			b.Errorf("series per sidecar grow with the mesh: %d at 64 members, over 1.2 x %d + %d = %.0f at 16",
				large.maxPerSidecar, small.maxPerSidecar, seriesSlack, limit)
		}
	}
}

// benchSeries runs n sidecars until each lists all n members and returns their
// series counts.
func benchSeries(b *testing.B, n int) seriesFigures {
	dir := b.TempDir()
	writeKeyFile(b, filepath.Join(dir, "keys"), newKey(b))
	var seed int
	bases := make([]string, n)
	for i := range n {
		gport, hport := freeport.TCPAndUDP(b), freeport.TCP(b)
		if i == 0 {
			seed = gport
		}
		bases[i] = fmt.Sprintf("http://127.0.0.1:%d", hport)
		startSeriesPod(b, dir, i, gport, hport, seed)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for i := 0; i < n; {
		if aliveCount(bases[i]) == n {
			i++
			continue
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d sidecars: sidecar %d sees %d members", n, i, aliveCount(bases[i]))
		}
		time.Sleep(500 * time.Millisecond)
	}
	var f seriesFigures
	for _, base := range bases {
		mine, all, size := countSeries(b, base)
		f.maxPerSidecar, f.total, f.totalAll = max(f.maxPerSidecar, mine), f.total+mine, f.totalAll+all
		f.bytesPerScrape = max(f.bytesPerScrape, size)
	}
	f.oldPerSidecar = 4 + 35*oldGroups(n)
	return f
}

// seriesPod returns pod i's namespace, app, node and zone.
func seriesPod(i int) (ns, app, node, zone string) {
	a, nd := i%seriesApps, i%seriesNodes
	return fmt.Sprintf("ns-%d", a%seriesNamespaces), fmt.Sprintf("app-%d", a), fmt.Sprintf("node-%d", nd), fmt.Sprintf("zone-%c", 'a'+nd%seriesZones)
}

// oldGroups is the largest number of (namespace, app, node) groups among one
// pod's peers in an n-pod mesh.
func oldGroups(n int) int {
	most := 0
	for self := range n {
		groups := map[[3]string]bool{}
		for i := range n {
			if i != self {
				ns, app, node, _ := seriesPod(i)
				groups[[3]string{ns, app, node}] = true
			}
		}
		most = max(most, len(groups))
	}
	return most
}

// startSeriesPod starts sidecar i with the layout's metadata, joining seed.
func startSeriesPod(b *testing.B, dir string, i, gport, hport, seed int) {
	ns, app, node, zone := seriesPod(i)
	info := filepath.Join(dir, fmt.Sprintf("podinfo-%d", i))
	atomicWrite(b, info, map[string]string{
		"labels":      fmt.Sprintf("app.kubernetes.io/name=%q\ntopology.kubernetes.io/zone=%q\n", app, zone),
		"annotations": "",
	})
	dep := fmt.Sprintf("ns-%d", (i%seriesApps%seriesNamespaces+1)%seriesNamespaces)
	cmd := exec.Command(sidecarBin, "--log-level=warn")
	cmd.Env = []string{
		"POD_NAME=" + fmt.Sprintf("%s-%d", app, i), "POD_NAMESPACE=" + ns, "POD_IP=127.0.0.1", "NODE_NAME=" + node,
		fmt.Sprintf("POD_UID=%08x-0000-0000-0000-000000000000", i+1),
		"MESHPROBE_OWNER_KIND=Deployment", "MESHPROBE_OWNER_NAME=" + app,
		"MESHPROBE_GOSSIP_BIND_ADDR=127.0.0.1", "MESHPROBE_HTTP_ADDR=127.0.0.1",
		"MESHPROBE_GOSSIP_PORT=" + strconv.Itoa(gport), "MESHPROBE_HTTP_PORT=" + strconv.Itoa(hport),
		"MESHPROBE_GOSSIP_JOIN=" + fmt.Sprintf("127.0.0.1:%d", seed),
		"MESHPROBE_GOSSIP_KEY_DIR=" + filepath.Join(dir, "keys"), "MESHPROBE_PODINFO_DIR=" + info,
		EnvRTTPeerNamespaces + "=" + dep,
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
}

// countSeries scrapes base and returns its meshprobe_* series, all its series and
// the size of the exposition.
func countSeries(b *testing.B, base string) (mine, all, size int) {
	resp, err := http.Get(base + PathMetrics)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		all++
		if strings.HasPrefix(line, "meshprobe_") {
			mine++
		}
	}
	return mine, all, len(body)
}
