// Package controlloop runs the passes of meshprobe's leader-only controllers
// (missedinjection, webhookcerts, gossipkeys) and holds what one leadership term
// starts and must stop (informer factories and an Event broadcaster), which the
// thousandeyes sync shares too.
//
// A controller is level-based: each pass looks at the whole state and returns how
// long it may sleep. The Loop runs it again when an informer reports a change
// (Kick), when that time is up, or, after a failed pass, after a backoff of 1 s
// doubling to 30 s:
//
//	loop := controlloop.New(controlloop.Config{Name: "gossipkeys", Clock: cfg.Clock, Log: log})
//	inf.AddEventHandler(loop.OnChange())  // every add, update and delete kicks a pass
//	term := controlloop.Term{Factories: factories, Broadcaster: broadcaster}
//	defer term.Stop()                     // after ctx has ended
//	if !term.Start(ctx, inf.HasSynced) { return errors.New("caches did not sync") }
//	loop.Run(ctx, pass)                   // returns when ctx ends
package controlloop
