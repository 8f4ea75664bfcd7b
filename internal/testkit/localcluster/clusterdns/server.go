package clusterdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

const ttl = 5

// Config configures the server.
type Config struct {
	// Addr is the UDP and TCP listen address, e.g. "10.244.255.254:53".
	Addr string
	// Client reads Services and EndpointSlices.
	Client kubernetes.Interface
	// Domain is the cluster domain (default cluster.local).
	Domain string
	// APIServerIP answers kubernetes.default when its EndpointSlice is empty.
	APIServerIP string
	// Logger receives errors.
	Logger *slog.Logger
}

// Server is a running cluster DNS server.
type Server struct {
	cfg       Config
	services  corelisters.ServiceLister
	slices    discoverylisters.EndpointSliceLister
	servers   []*dns.Server
	upstreams []string
}

// Start starts the informers and both listeners; they stop when ctx ends or Close is called.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Domain == "" {
		cfg.Domain = "cluster.local"
	}
	f := informers.NewSharedInformerFactory(cfg.Client, 0)
	s := &Server{cfg: cfg, services: f.Core().V1().Services().Lister(), slices: f.Discovery().V1().EndpointSlices().Lister()}
	svcInf, esInf := f.Core().V1().Services().Informer(), f.Discovery().V1().EndpointSlices().Informer()
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), svcInf.HasSynced, esInf.HasSynced) {
		return nil, errors.New("clusterdns: informer caches did not sync")
	}
	if conf, err := dns.ClientConfigFromFile("/etc/resolv.conf"); err == nil {
		for _, srv := range conf.Servers {
			s.upstreams = append(s.upstreams, net.JoinHostPort(srv, conf.Port))
		}
	}
	for _, network := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: cfg.Addr, Net: network, Handler: s, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
		started := make(chan error, 1)
		srv.NotifyStartedFunc = func() { started <- nil }
		go func() { started <- srv.ListenAndServe() }()
		if err := <-started; err != nil {
			s.Close()
			return nil, fmt.Errorf("clusterdns: listening on %s/%s: %w", cfg.Addr, network, err)
		}
		s.servers = append(s.servers, srv)
	}
	return s, nil
}

// Close stops the listeners.
func (s *Server) Close() {
	for _, srv := range s.servers {
		_ = srv.Shutdown()
	}
}

// ServeDNS answers one query.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if !dns.IsSubDomain(s.cfg.Domain+".", name) {
		s.forward(w, req)
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	ips, found := s.lookupFQDN(name)
	switch {
	case !found:
		m.SetRcode(req, dns.RcodeNameError)
	case q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY:
		for _, ip := range ips {
			m.Answer = append(m.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
				A:   net.ParseIP(ip).To4(),
			})
		}
	}
	_ = w.WriteMsg(m)
}

// Lookup answers a name as a pod would ask it: "svc.ns.svc", "svc.ns.svc.cluster.local"
// (with or without the trailing dot). It returns nil for unknown names.
func (s *Server) Lookup(name string) []string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if !strings.HasSuffix(name, "."+s.cfg.Domain) {
		name += "." + s.cfg.Domain
	}
	ips, _ := s.lookupFQDN(name + ".")
	return ips
}

// lookupFQDN resolves <svc>.<ns>.svc.<domain>. and <host>.<svc>.<ns>.svc.<domain>.
func (s *Server) lookupFQDN(fqdn string) ([]string, bool) {
	rest := strings.TrimSuffix(fqdn, "."+s.cfg.Domain+".")
	labels := strings.Split(rest, ".")
	n := len(labels)
	if n < 3 || labels[n-1] != "svc" {
		return nil, false
	}
	host, svcName, ns := "", labels[n-3], labels[n-2]
	if n == 4 {
		host = labels[0]
	} else if n > 4 {
		return nil, false
	}
	svc, err := s.services.Services(ns).Get(svcName)
	if err != nil {
		return nil, false
	}
	ips := s.endpoints(svc, host)
	if len(ips) == 0 && ns == "default" && svcName == "kubernetes" && s.cfg.APIServerIP != "" {
		ips = []string{s.cfg.APIServerIP}
	}
	if host != "" && len(ips) == 0 {
		return nil, false
	}
	return ips, true
}

func (s *Server) endpoints(svc *corev1.Service, host string) []string {
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name})
	list, err := s.slices.EndpointSlices(svc.Namespace).List(sel)
	if err != nil {
		return nil
	}
	var ips []string
	for _, es := range list {
		if es.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		for _, ep := range es.Endpoints {
			if !svc.Spec.PublishNotReadyAddresses && !ptr.Deref(ep.Conditions.Ready, true) {
				continue
			}
			if host != "" && ptr.Deref(ep.Hostname, "") != host {
				continue
			}
			ips = append(ips, ep.Addresses...)
		}
	}
	slices.Sort(ips)
	return slices.Compact(ips)
}

func (s *Server) forward(w dns.ResponseWriter, req *dns.Msg) {
	c := &dns.Client{Timeout: 2 * time.Second}
	for _, up := range s.upstreams {
		if up == s.cfg.Addr {
			continue
		}
		if resp, _, err := c.Exchange(req, up); err == nil {
			_ = w.WriteMsg(resp)
			return
		}
	}
	m := new(dns.Msg)
	m.SetRcode(req, dns.RcodeServerFailure)
	_ = w.WriteMsg(m)
}
