package controlloop

import "k8s.io/client-go/tools/cache"

// Kicker asks a loop for a pass. Kick never blocks, and the kicks that come while
// one is pending merge into it, so a burst of changes wakes the loop once. Make
// one with NewKicker; it is safe for concurrent use.
type Kicker struct {
	c chan struct{}
}

// NewKicker returns a Kicker with no kick pending.
func NewKicker() Kicker { return Kicker{c: make(chan struct{}, 1)} }

// Kick asks for a pass, unless one is already pending.
func (k Kicker) Kick() {
	select {
	case k.c <- struct{}{}:
	default:
	}
}

// C receives the pending kick. The loop that owns the Kicker is its only reader.
func (k Kicker) C() <-chan struct{} { return k.c }

// OnChange is an informer event handler that kicks on every add, update and delete.
func (k Kicker) OnChange() cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { k.Kick() },
		UpdateFunc: func(any, any) { k.Kick() },
		DeleteFunc: func(any) { k.Kick() },
	}
}
