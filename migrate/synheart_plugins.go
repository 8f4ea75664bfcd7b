package migrate

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// The synthetic-heart plugins that have a meshprobe check type, with their
// configuration (cisco-open/synthetic-heart agent/plugins/syntests/*/README.md).
const (
	pluginHTTPPing = "httpPing"
	pluginCurl     = "curl"
	pluginDNS      = "dns"
	pluginNetDial  = "netDial"
	pluginPing     = "ping"
)

// anyStatus is the expectStatus of a plugin that accepted any status code.
const anyStatus = "^[0-9]{3}$"

// httpPingConfig is the httpPing plugin's configuration of one address.
type httpPingConfig struct {
	Address            string `json:"address"`
	ExpectedCodeRegex  string `json:"expectedCodeRegex"`
	Retries            int    `json:"retries"`
	TimeoutRetries     int    `json:"timeoutRetries"`
	RepeatsWithoutFail int    `json:"repeatsWithoutFail"`
	WaitBetweenRepeats string `json:"waitBetweenRepeats"`
}

// curlConfig is the curl plugin's configuration.
type curlConfig struct {
	URL           string            `json:"url"`
	OutputOptions []json.RawMessage `json:"outputOptions"`
}

// dnsConfig is the dns plugin's configuration.
type dnsConfig struct {
	Domains []string `json:"domains"`
	Repeats int      `json:"repeats"`
	Workers int      `json:"workers"`
}

// netDialConfig is the netDial plugin's configuration.
type netDialConfig struct {
	Addresses []netDialAddress `json:"addresses"`
	Workers   int              `json:"workers"`
}

// netDialDefaultTimeout is netDial's dial timeout of an address without one.
const netDialDefaultTimeout = 3 * time.Second

// netDialAddress is one address of netDial: timeout in seconds (default 3).
type netDialAddress struct {
	Addr    string `json:"addr"`
	Net     string `json:"net"`
	Timeout int    `json:"timeout"`
}

// configField is the field path of the plugin configuration.
const configField = "spec.config"

// targets converts the plugin configuration to checks without their common
// fields; none, with a warning, for a plugin meshprobe has no equivalent of.
func (t *synTest) targets() ([]check, error) {
	id := t.obj.id()
	switch t.spec.Plugin {
	case pluginHTTPPing:
		return t.httpPing()
	case pluginCurl:
		return t.curl()
	case pluginDNS:
		return t.dns()
	case pluginNetDial:
		return t.netDial()
	case pluginPing:
		t.w.add(id, "spec.plugin", "skipped: meshprobe has no ICMP check (its agents have no NET_RAW capability); a tcp check on a port of the host tells whether it is reachable")
		return nil, nil
	}
	t.w.add(id, "spec.plugin", "skipped: plugin %q has no meshprobe equivalent (meshprobe's check types: http, tcp, dns, tls, grpc)", t.spec.Plugin)
	return nil, nil
}

// config converts the plugin's YAML configuration to JSON.
func (t *synTest) config() (json.RawMessage, error) {
	js, err := yaml.YAMLToJSON([]byte(t.spec.Config))
	if err != nil {
		return nil, t.obj.errorf(configField, "invalid YAML: %s", yamlProblem(err))
	}
	return js, nil
}

// httpPing converts one address or a list of them to http checks.
func (t *synTest) httpPing() ([]check, error) {
	js, err := t.config()
	if err != nil {
		return nil, err
	}
	raws := []json.RawMessage{js}
	if b := bytes.TrimSpace(js); len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, t.obj.errorf(configField, "%s", err)
		}
	}
	id := t.obj.id()
	checks := make([]check, 0, len(raws))
	for i, raw := range raws {
		field := configField
		if len(raws) > 1 {
			field += "[" + strconv.Itoa(i) + "]"
		}
		var cfg httpPingConfig
		if err := decodeKnown(raw, &cfg, t.obj, field, t.w); err != nil {
			return nil, err
		}
		if cfg.Address == "" {
			return nil, t.obj.errorf(joinField(field, "address"), "required")
		}
		if cfg.TimeoutRetries > 0 || cfg.RepeatsWithoutFail > 0 || cfg.WaitBetweenRepeats != "" {
			t.w.add(id, field, "timeoutRetries, repeatsWithoutFail and waitBetweenRepeats ignored: meshprobe retries failures and timeouts alike, up to retries, within the timeout")
		}
		c := check{Type: spec.TypeHTTP, URL: cfg.Address, ExpectStatus: cfg.ExpectedCodeRegex,
			Retries: clampRetries(cfg.Retries, id, joinField(field, "retries"), t.w)}
		if c.ExpectStatus == "" {
			c.ExpectStatus = anyStatus // an empty regex matched every code
		}
		if strings.HasPrefix(strings.ToLower(cfg.Address), "https:") {
			t.w.add(id, joinField(field, "address"), "httpPing did not verify the certificate; meshprobe does: add tls: {insecureSkipVerify: true} to the check to keep the old behaviour")
		}
		checks = append(checks, c)
	}
	return checks, nil
}

// curl converts the curl plugin to an http check that accepts any status,
// as curl without --fail did.
func (t *synTest) curl() ([]check, error) {
	js, err := t.config()
	if err != nil {
		return nil, err
	}
	var cfg curlConfig
	if err := decodeKnown(js, &cfg, t.obj, configField, t.w); err != nil {
		return nil, err
	}
	if cfg.URL == "" {
		return nil, t.obj.errorf(configField+".url", "required")
	}
	if len(cfg.OutputOptions) > 0 {
		t.w.add(t.obj.id(), configField+".outputOptions", "ignored: meshprobe exports the duration of each run (meshprobe_check_duration_seconds) and the status code, not curl's write-out values")
	}
	return []check{{Type: spec.TypeHTTP, URL: cfg.URL, ExpectStatus: anyStatus}}, nil
}

// dns converts each domain to a dns check of its A records.
func (t *synTest) dns() ([]check, error) {
	js, err := t.config()
	if err != nil {
		return nil, err
	}
	var cfg dnsConfig
	if err := decodeKnown(js, &cfg, t.obj, configField, t.w); err != nil {
		return nil, err
	}
	if len(cfg.Domains) == 0 {
		return nil, t.obj.errorf(configField+".domains", "required: a list of names")
	}
	if cfg.Repeats > 1 {
		t.w.add(t.obj.id(), configField+".repeats", "ignored: meshprobe queries once per interval; shorten the interval to query more often")
	}
	checks := make([]check, 0, len(cfg.Domains))
	for _, d := range cfg.Domains {
		checks = append(checks, check{Type: spec.TypeDNS, Query: d})
	}
	return checks, nil
}

// netDial converts each tcp address to a tcp check.
func (t *synTest) netDial() ([]check, error) {
	js, err := t.config()
	if err != nil {
		return nil, err
	}
	var cfg netDialConfig
	if err := decodeKnown(js, &cfg, t.obj, configField, t.w); err != nil {
		return nil, err
	}
	checks := make([]check, 0, len(cfg.Addresses))
	for i, a := range cfg.Addresses {
		field := configField + ".addresses[" + strconv.Itoa(i) + "]"
		switch a.Net {
		case "tcp", "tcp4", "tcp6":
		default:
			t.w.add(t.obj.id(), field+".net", "skipped: network %q; meshprobe's tcp check dials tcp", a.Net)
			continue
		}
		timeout := netDialDefaultTimeout
		if a.Timeout > 0 {
			timeout = time.Duration(a.Timeout) * time.Second
		}
		c := check{Type: spec.TypeTCP, Address: a.Addr, Timeout: duration(timeout)}
		checks = append(checks, c)
	}
	if len(checks) == 0 {
		t.w.add(t.obj.id(), configField+".addresses", "skipped: no tcp address to check")
	}
	return checks, nil
}
