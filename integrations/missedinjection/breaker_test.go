package missedinjection

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBreaker(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	web := workload{kind: "Deployment", namespace: "apps", name: "web"}
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name     string
		restarts []int // minutes
		now      int
		newest   int // the newest missed pod's creation, minutes
		want     bool
	}{
		{"no restart yet", nil, 0, 0, false},
		{"two failed restarts", []int{0, 15}, 30, 16, false},
		{"three failed restarts", []int{0, 15, 30}, 45, 31, true},
		{"new pods created in the restart's second count as failed", []int{0, 15, 30}, 45, 30, true},
		{"the last restart brought no new missed pod yet", []int{0, 15, 30}, 45, 29, false},
		{"the first restart left the window", []int{0, 15, 30}, 61, 31, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBreaker(&Config{RepairWindow: time.Hour, RepairMaxRestarts: 3, RepairCooldown: 15 * time.Minute})
			for _, m := range tt.restarts {
				b.record(web, at(m).Add(400*time.Millisecond))
			}
			assert.Equal(t, tt.want, b.trips(web, at(tt.now), at(tt.newest)))
		})
	}
}

func TestBreakerForgetsRepairedWorkloads(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	web := workload{kind: "Deployment", namespace: "apps", name: "web"}
	db := workload{kind: "StatefulSet", namespace: "data", name: "db"}
	b := newBreaker(&Config{RepairWindow: time.Hour, RepairMaxRestarts: 1, RepairCooldown: time.Minute})
	b.record(web, now)
	b.record(db, now)
	assert.True(t, b.suspend(web))
	assert.False(t, b.suspend(web), "once")
	assert.True(t, b.suspend(db))
	assert.Equal(t, map[string]int{"apps": 1, "data": 1}, b.suspendedByNamespace())

	b.keep(map[workload]*missedPods{web: {names: []string{"web-1"}}}, now.Add(time.Minute))
	assert.True(t, b.suspended[web], "still missed: still suspended")
	assert.False(t, b.suspended[db], "no missed pod any more: repaired by someone, forgotten")
	assert.Empty(t, b.restarts[db])
	assert.Len(t, b.restarts[web], 1)

	b.keep(map[workload]*missedPods{web: {names: []string{"web-1"}}}, now.Add(2*time.Hour))
	assert.Empty(t, b.restarts[web], "restarts that left the window")
	assert.True(t, b.suspended[web], "a suspension lasts until the workload has no missed pod")
}

func TestBreakerWindowHoldsTheCooldowns(t *testing.T) {
	b := newBreaker(&Config{RepairWindow: time.Hour, RepairMaxRestarts: 3, RepairCooldown: time.Hour})
	assert.Equal(t, 4*time.Hour, b.window, "restarts an hour apart: the fourth attempt still sees the first")
	b = newBreaker(&Config{RepairWindow: time.Hour, RepairMaxRestarts: 3, RepairCooldown: time.Minute})
	assert.Equal(t, time.Hour, b.window)
}
