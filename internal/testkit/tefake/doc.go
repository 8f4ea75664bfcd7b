// Package tefake is a faithful in-process fake of the ThousandEyes API v7, built
// from the facts in integrations/thousandeyes/API.md, for tests, benchmarks, `make demo` and kind.
//
// It serves, below a prefix (default /v7):
//
//	GET    /tests/http-server           list; items have no agents and no alertRules
//	GET    /tests/http-server/{id}      one test; agents and alertRules as objects
//	POST   /tests/http-server           201 with Location; the body is the test
//	PUT    /tests/http-server/{id}      200; omitted optional fields keep their value
//	DELETE /tests/http-server/{id}      204
//	GET    /agents                      {"agents":[...]}
//	GET    /alerts/rules                {"alertRules":[...]}
//
// It checks the bearer token (401 in the OAuth form), scopes tests by the aid
// query parameter (403 for an unknown account group), uses string IDs, validates
// request fields (400 problem+json naming the field, including unknown agent and
// alert-rule IDs and duplicate test names), applies the account's default alert
// rules when alertsEnabled is true and alertRules is omitted, and limits the
// organisation to Limit requests per fixed Window (default 240 per minute) with
// the X-Organization-Rate-Limit-* headers and 429 when spent.
//
// Tests steer it with fault switches (AddFault: 5xx, 429 or delays, before or
// after the request takes effect) and read its request log (Requests, Count).
// AdminHandler exposes the same switches over HTTP for the standalone binary
// cmd/thousandeyes-fake (Main).
package tefake
