package leader

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Task is work that only the leader does, such as serving heartbeats or syncing
// ThousandEyes tests.
type Task struct {
	// Name identifies the task in logs. Names must be unique.
	Name string
	// Run does the work until ctx is cancelled (leadership lost or shutdown) and
	// then returns promptly. An error returned before that restarts the task after
	// a backoff; nil returned before that means the task is done for this term.
	// A panic is recovered and treated as an error.
	Run func(ctx context.Context) error
}

func validateTasks(tasks []Task) error {
	seen := map[string]bool{}
	for i, t := range tasks {
		switch {
		case t.Name == "":
			return fmt.Errorf("leader: task %d has no name", i)
		case t.Run == nil:
			return fmt.Errorf("leader: task %q has no Run function", t.Name)
		case seen[t.Name]:
			return fmt.Errorf("leader: two tasks are named %q", t.Name)
		}
		seen[t.Name] = true
	}
	return nil
}

// Restart backoff for failing tasks.
const (
	minTaskBackoff = time.Second
	maxTaskBackoff = 30 * time.Second
)

// runner starts the tasks for a leadership term and stops them. start and stop
// may race (the elector calls them from different goroutines); a term whose
// context is already done never starts.
type runner struct {
	tasks       []Task
	log         *slog.Logger
	gauge       prometheus.Gauge
	stopTimeout time.Duration

	mu      sync.Mutex
	current *term
}

// term is one leadership term's running tasks.
type term struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	running map[string]bool
}

// start runs every task in a new term, unless shutdown or lead is already done.
func (r *runner) start(shutdown, lead context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if shutdown.Err() != nil || lead.Err() != nil || r.current != nil {
		return
	}
	ctx, cancel := context.WithCancel(lead)
	t := &term{cancel: cancel, done: make(chan struct{}), running: map[string]bool{}}
	r.current = t
	var wg sync.WaitGroup
	for _, task := range r.tasks {
		t.setRunning(task.Name, true)
		wg.Go(func() {
			defer t.setRunning(task.Name, false)
			r.supervise(ctx, task)
		})
	}
	go func() { wg.Wait(); close(t.done) }()
	r.gauge.Set(1)
	r.log.Info("leader: started leading", "tasks", len(r.tasks))
}

// stop cancels the current term and waits for its tasks, at most stopTimeout.
// It returns at once when no term runs. Concurrent calls wait for the same term.
func (r *runner) stop() {
	r.mu.Lock()
	t := r.current
	r.mu.Unlock()
	if t == nil {
		return
	}
	t.cancel()
	r.gauge.Set(0)
	timer := time.NewTimer(r.stopTimeout)
	defer timer.Stop()
	select {
	case <-t.done:
		r.log.Info("leader: stopped leading; leader-only tasks have returned")
	case <-timer.C:
		r.log.Error("leader: leader-only tasks did not return in time; abandoning them",
			"timeout", r.stopTimeout, "tasks", t.stillRunning())
	}
	r.mu.Lock()
	if r.current == t {
		r.current = nil
	}
	r.mu.Unlock()
}

// leading reports whether a term is running.
func (r *runner) leading() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current != nil
}

// supervise runs a task until ctx is done, restarting it with backoff on error.
func (r *runner) supervise(ctx context.Context, task Task) {
	delay := minTaskBackoff
	for {
		started := time.Now()
		err := runTask(ctx, task)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			r.log.Info("leader: task finished", "task", task.Name)
			return
		}
		if time.Since(started) > maxTaskBackoff {
			delay = minTaskBackoff // it ran well for a while: start the backoff afresh
		}
		r.log.Error("leader: task failed; restarting", "task", task.Name, "err", err, "after", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxTaskBackoff)
	}
}

// runTask runs a task once, turning a panic into an error.
func runTask(ctx context.Context, task Task) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return task.Run(ctx)
}

func (t *term) setRunning(name string, running bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if running {
		t.running[name] = true
	} else {
		delete(t.running, name)
	}
}

func (t *term) stillRunning() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.running))
	for n := range t.running {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
