package sidecar

import (
	"time"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/gossip"
)

// digestRTTWindows is how many digest intervals back the RTT a digest carries
// may have been measured: a lost digest loses no pair.
const digestRTTWindows = 3

// digest builds this member's digest for the control plane (the gossip
// member's source): the status of every check, and the latest echo RTT to the
// peers probed lately, most recent first, with the member's coordinate. The
// mesh fills in the member name and cuts it to its byte budget.
func (a *Agent) digest() gossip.Digest {
	now := time.Now()
	d := gossip.Digest{
		Sent:  now,
		RTT:   a.mesh.EchoRTT(now.Add(-digestRTTWindows * a.cfg.DigestInterval)),
		Coord: a.mesh.Coordinate(),
	}
	for _, st := range a.checks.Report().Checks {
		d.Checks = append(d.Checks, checkDigest(st))
	}
	return d
}

// checkDigest summarises one check's status.
func checkDigest(st checks.Status) gossip.CheckDigest {
	c := gossip.CheckDigest{Name: st.Name, Type: string(st.Type), Result: st.LastResult,
		ConsecutiveFailures: st.ConsecutiveFailures, Error: st.Error}
	if st.LastRun != nil {
		c.LastRun = *st.LastRun
	}
	if st.LastSuccess != nil {
		c.LastSuccess = *st.LastSuccess
	}
	return c
}
