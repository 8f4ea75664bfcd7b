// Package client is a small typed client for the ThousandEyes API v7, limited to
// what meshprobe's sync needs: HTTP Server tests (list, get, create, update,
// delete), agents and alert rules.
//
// Every request carries "Authorization: Bearer <token>" and, when configured, the
// account-group query parameter aid. Errors come back as *APIError, parsed from
// application/problem+json (title-only and detail+errors forms) and from the
// OAuth-style body of a 401.
//
// The client keeps to a configurable share of the organisation's request budget
// (240 per minute, shared with every other integration): it paces its own
// requests, reads the X-Organization-Rate-Limit-* headers, and after a 429 or an
// exhausted budget it waits until the Reset time plus jitter. Only idempotent
// calls (GET, PUT, DELETE) are retried; a POST is never retried, because a retry
// can create a duplicate test. A Client is safe for concurrent use.
package client
