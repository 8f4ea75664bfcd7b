package controlloop

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKickerMergesKicks(t *testing.T) {
	k := NewKicker()
	assert.Empty(t, k.C(), "no kick pending at first")
	for range 3 {
		k.Kick() // never blocks
	}
	assert.Len(t, k.C(), 1, "kicks merge into the pending one")
	<-k.C()
	assert.Empty(t, k.C())
	k.Kick()
	assert.Len(t, k.C(), 1, "a kick after the pending one was taken is kept")
}
