package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLeaveSpreadFollowsMemberlistRetransmits(t *testing.T) {
	cfg := DefaultConfig() // gossip every 200 ms, RetransmitMult 4, leave within 5 s
	assert.Equal(t, 800*time.Millisecond, leaveSpread(6, cfg), "4 rounds below 10 members")
	assert.Equal(t, 1600*time.Millisecond, leaveSpread(50, cfg), "8 rounds below 100")
	assert.Equal(t, 2400*time.Millisecond, leaveSpread(500, cfg), "12 rounds below 1,000")
	assert.Equal(t, cfg.LeaveTimeout/2, leaveSpread(100_000, cfg), "capped to leave time for the leave itself")
}
