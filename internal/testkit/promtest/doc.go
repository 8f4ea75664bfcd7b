// Package promtest runs a real Prometheus server (the distribution's `prometheus`
// binary) for tests: it writes a temporary configuration with the given scrape jobs and
// rule files, starts the server on a free loopback port, waits until it is ready, and
// stops it when the test ends. It also wraps `promtool check rules` and `promtool check
// metrics`.
//
// When the binaries are not installed the tests that need them skip with a message
// naming the package to install (hack/test-deps.sh installs it); under CI=true they fail
// instead, so a CI run never passes by skipping.
package promtest
