// Package testapp is the small HTTP server that meshprobe-localcluster runs for
// containers of the image meshprobe.io/testapp: a target for checks and probes, and
// a window into what a container sees (its environment and mounted files).
//
// Endpoints: `/` (200, names the pod), `/healthz` (200 "ok"), `/status/{code}`
// (answers that code), `/env` (the process environment as JSON) and, for each
// --serve-dir, `/files/<path>` (a file below that directory).
package testapp
