// Package clusterdns is meshprobe-localcluster's cluster DNS: a small server that
// answers A queries for `<service>.<namespace>.svc.<domain>` (and
// `<hostname>.<service>.<namespace>.svc.<domain>`) from the Services and EndpointSlices
// in the apiserver, the way CoreDNS's kubernetes plugin does for headless Services.
// There is no kube-proxy locally, so ClusterIP Services also answer with their ready
// endpoint addresses rather than the (unroutable) ClusterIP. Other names are forwarded
// to the host's resolvers from /etc/resolv.conf.
package clusterdns
