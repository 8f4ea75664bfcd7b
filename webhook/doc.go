// Package webhook decides which pods get the meshprobe sidecar and injects it.
//
// The package has two layers, kept apart as in linkerd's proxy injector:
//
//   - Mutate is pure: given a pod, its namespace and a Config it either returns an
//     injected copy of the pod or a Reason why the pod is skipped. It does no I/O
//     and never modifies its input, so it is tested without HTTP.
//   - Handler is the admission handler: it decodes the AdmissionRequest, calls
//     Mutate, validates the meshprobe.io/checks annotation, and answers with a JSON
//     patch or a plain Allowed. The patch is built from what an injection changes
//     and checked, in tests, against controller-runtime's PatchResponseFromRaw
//     diff. NewHTTPHandler puts a strict front in front of it that decodes each
//     AdmissionReview once and answers malformed ones with a 4xx.
//
// Every decision carries a Reason constant. The same constant feeds the admission
// response message, admission warnings and the reason label of
// meshprobe_webhook_admissions_total.
package webhook
