// Package ui is meshprobe's web UI for the cluster view: static HTML, CSS and
// JavaScript embedded in the binary (no CDN, no build step), served by the
// control plane's view server at / next to its JSON API under /api/v1.
//
// The page holds no data and needs no authentication itself: its scripts ask
// for a Kubernetes bearer token (`kubectl create token`), keep it in the tab's
// sessionStorage and send it as `Authorization: Bearer` on every API call. A
// token may also be handed over once in the URL fragment (#token=...), which
// browsers never send to a server; the page stores it and removes it from the
// address bar at once.
//
// Handler sets a strict Content-Security-Policy (default-src 'self', no inline
// script or style), so the page runs nothing it did not ship with.
package ui
