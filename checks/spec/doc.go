// Package spec is the specification of the synthetic checks that a pod declares
// in its meshprobe.io/checks annotation (and that cluster-check ConfigMaps
// declare for the node agents, in the same schema): what the annotation may
// say, and what each check means once its defaults are filled in. It runs
// nothing.
//
// Where a check runs is its [RunOn]: all, one, or a node pattern ([RunOn.Selects],
// [RunOn.One]). A check may carry a displayName, a description and up to
// [MaxLabels] user labels, whose names may not be meshprobe's or Prometheus's
// own ([ReservedLabel]).
//
// The annotation holds a YAML (or JSON) list of checks. [Parse] turns it into
// [Check] values: defaults first, then validation derived from one explicit
// registry of check types (http, tcp, dns, tls, grpc; [Types]), so that every
// [Error] names the check and the field. Parse either returns every check of the
// annotation or none.
//
// Two programs share it: the webhook, which warns about an invalid annotation
// at admission, and the sidecar, whose package checks runs the probers of the
// checks that Parse returns. The package depends on the standard library and a
// YAML decoder only, so that the webhook does not link the probers' gRPC and DNS
// libraries; its dns validation is tested against github.com/miekg/dns, the
// library the dns prober sends queries with.
package spec
