package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// sitterConfig is epsitter's sitter.yaml (engellee/epsitter src/config-example.yaml).
type sitterConfig struct {
	URLs map[string]json.RawMessage `json:"urls"`
}

// sitterURL is one entry of urls, with the fields epsitter's do_request reads
// (src/epsitter.py).
type sitterURL struct {
	URL       string                     `json:"url"`
	Namespace scalar                     `json:"namespace"`
	Method    string                     `json:"method"`
	Timeout   json.RawMessage            `json:"timeout"`
	Payload   json.RawMessage            `json:"payload"`
	Headers   map[string]json.RawMessage `json:"headers"`
	AuthUser  scalar                     `json:"auth_user"`
	AuthPass  scalar                     `json:"auth_pass"`
}

// scalar is a YAML scalar read as the string Python's str() makes of it.
type scalar struct {
	set   bool
	value string
}

// UnmarshalJSON accepts a string, number or boolean.
func (s *scalar) UnmarshalJSON(b []byte) error {
	v, err := scalarString(b)
	if err != nil {
		return err
	}
	*s = scalar{set: v != "" || string(b) != "null", value: v}
	return nil
}

// scalarString renders a JSON scalar as Python's str() would its YAML value.
func scalarString(b []byte) (string, error) {
	switch t := bytes.TrimSpace(b); {
	case string(t) == "null":
		return "", nil
	case string(t) == "true":
		return "True", nil
	case string(t) == "false":
		return "False", nil
	case len(t) > 0 && t[0] == '"':
		var s string
		err := json.Unmarshal(t, &s)
		return s, err
	case len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')):
		return string(t), nil
	}
	word := "object"
	if len(bytes.TrimSpace(b)) > 0 && bytes.TrimSpace(b)[0] == '[' {
		word = "array"
	}
	return "", &json.UnmarshalTypeError{Value: word, Type: reflect.TypeFor[string]()}
}

// epsitterTool names the tool in Secrets, ConfigMaps and labels.
const epsitterTool = "epsitter"

// epsitterNamespaceLabel carries an epsitter URL's namespace, which labelled
// its sitter_* series (namespace itself is meshprobe's own label).
const epsitterNamespaceLabel = "epsitter_namespace"

// convertEpsitter converts a sitter.yaml.
func convertEpsitter(data []byte, opts Options) (Result, error) {
	docs, positions, err := yamlDocuments(data)
	if err != nil {
		return Result{}, err
	}
	if len(docs) != 1 {
		return Result{}, &InputError{Problem: fmt.Sprintf("want one YAML document (sitter.yaml), got %d", len(docs))}
	}
	file := object{doc: 0, kind: "sitter.yaml", raw: docs[0]}
	_ = positions
	var w warnings
	var cfg sitterConfig
	if err := decodeKnown(docs[0], &cfg, file, "", &w); err != nil {
		return Result{}, err
	}
	if len(cfg.URLs) == 0 {
		return Result{}, &InputError{Object: "sitter.yaml", Field: "urls", Problem: "required: a mapping of names to URLs"}
	}
	creds := newCredentials(epsitterTool, opts)
	groups := map[string]*checkList{}
	used := checkList{} // check names are unique across all the ConfigMaps
	for _, name := range slices.Sorted(maps.Keys(cfg.URLs)) {
		c, ns, ok, err := convertSitterURL(name, cfg.URLs[name], opts, creds, &w)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			continue
		}
		before := len(used.checks)
		used.add(c, sitterID(name), &w)
		if len(used.checks) == before {
			continue
		}
		if groups[ns] == nil {
			groups[ns] = &checkList{}
		}
		groups[ns].checks = append(groups[ns].checks, used.checks[before])
		groups[ns].sources = append(groups[ns].sources, name)
	}
	return renderEpsitter(groups, creds, opts, &w)
}

// sitterID names a URL entry in warnings.
func sitterID(name string) string { return "url " + strconv.Quote(name) }

// renderEpsitter writes one ConfigMap per epsitter namespace.
func renderEpsitter(groups map[string]*checkList, creds *credentials, opts Options, w *warnings) (Result, error) {
	var out output
	header := []string{
		fmt.Sprintf("meshprobe convert --from epsitter -f %s", opts.SourceName),
		"Cluster checks for meshprobe's node agents, one ConfigMap per epsitter namespace.",
		"Apply with: kubectl apply -f <this file>. See docs/migration/epsitter.md.",
		"",
	}
	if err := out.add(append(header, creds.plan()...), nil); err != nil {
		return Result{}, err
	}
	names := map[string]bool{}
	for _, ns := range slices.Sorted(maps.Keys(groups)) {
		g := groups[ns]
		name := uniqueObjectName(names, epsitterTool, ns)
		comment := []string{"epsitter URLs without a namespace: " + strings.Join(g.sources, ", ")}
		if ns != "" {
			comment = []string{fmt.Sprintf("epsitter namespace %q: %s", ns, strings.Join(g.sources, ", "))}
		}
		if err := out.addChecksConfigMap(comment, name, opts.Namespace, g.checks); err != nil {
			return Result{}, err
		}
	}
	return Result{YAML: out.bytes(), Warnings: w.list}, nil
}

// convertSitterURL converts one URL entry to an http check and its epsitter
// namespace; ok is false when the entry is skipped (with a warning).
func convertSitterURL(name string, raw json.RawMessage, opts Options, creds *credentials, w *warnings) (c check, ns string, ok bool, err error) {
	id := sitterID(name)
	o := object{kind: "url", name: name, raw: raw}
	var u sitterURL
	if err := decodeKnown(raw, &u, o, "", w); err != nil {
		return c, "", false, renameObject(err, id)
	}
	// epsitter was one process: one agent runs each check, not every node.
	c = check{Name: checkName(name, "url"), Type: spec.TypeHTTP, URL: u.URL, RunOn: string(spec.RunOnOne)}
	if c.Name != name {
		c.DisplayName = name
	}
	if u.Namespace.set {
		ns = u.Namespace.value
		c.Labels = map[string]string{epsitterNamespaceLabel: ns}
	}
	timeout := opts.EpsitterRequestTimeout
	if len(u.Timeout) > 0 {
		if timeout, err = seconds(u.Timeout); err != nil {
			return c, "", false, &InputError{Object: id, Field: "timeout", Problem: err.Error()}
		}
	}
	interval := opts.EpsitterPollInterval
	if timeout >= interval {
		w.add(id, "timeout", "timeout %s is not shorter than the poll interval %s, as meshprobe requires: interval set to %s (epsitter waited the poll interval after its slowest request)", timeout, interval, timeout+interval)
		interval += timeout
	}
	timing(&c, interval, timeout, id, "timeout", w)
	if u.Method != "" {
		c.Method = strings.ToUpper(u.Method)
		if c.Method == spec.DefaultHTTPMethod {
			c.Method = ""
		}
	}
	if err := sitterRequest(&c, u, opts, creds, id, w); err != nil {
		return c, "", false, err
	}
	return c, ns, true, nil
}

// renameObject sets the object of an InputError.
func renameObject(err error, id string) error {
	if ie, ok := err.(*InputError); ok {
		ie.Object = id
	}
	return err
}

// seconds reads epsitter's timeout, a number of seconds (python-requests'
// timeout=), as a duration.
func seconds(raw json.RawMessage) (time.Duration, error) {
	var s float64
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("want a number of seconds, got %s", jsonKind(raw))
	}
	if s <= 0 || math.IsNaN(s) || s > spec.MaxInterval.Seconds() {
		return 0, fmt.Errorf("%v seconds: want more than 0 and at most %v", s, spec.MaxInterval.Seconds())
	}
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond), nil
}

// sitterRequest sets the credentials, headers and body of c. As in
// python-requests, auth_user/auth_pass win over credentials in the URL and
// over an Authorization header.
func sitterRequest(c *check, u sitterURL, opts Options, creds *credentials, id string, w *warnings) error {
	switch {
	case u.AuthUser.set && u.AuthPass.set:
		key := c.Name + "-password"
		c.BasicAuth = &basicAuth{Username: u.AuthUser.value, PasswordFile: creds.file(key)}
		w.add(id, "auth_pass", "the password is not copied: %s", creds.instruction(key))
	case u.AuthUser.set:
		w.add(id, "auth_user", "ignored without auth_pass, as epsitter did")
	case u.AuthPass.set:
		w.add(id, "auth_pass", "ignored without auth_user, as epsitter did; the password is not copied")
	}
	sitterURLCredentials(c, creds, id, w)
	if err := sitterHeaders(c, u.Headers, creds, id, w); err != nil {
		return err
	}
	return sitterPayload(c, u.Payload, opts.EpsitterPayload, id)
}

// sitterURLCredentials moves credentials out of the URL (meshprobe refuses
// them there); python-requests sent them as basic auth unless auth_user was set.
func sitterURLCredentials(c *check, creds *credentials, id string, w *warnings) {
	u, err := url.Parse(c.URL)
	if err != nil || u.User == nil {
		return
	}
	user := u.User
	u.User = nil
	c.URL = u.String()
	if c.BasicAuth != nil {
		w.add(id, "url", "credentials removed from the URL and not copied: auth_user and auth_pass replace them, as in python-requests")
		return
	}
	key := c.Name + "-password"
	c.BasicAuth = &basicAuth{Username: user.Username(), PasswordFile: creds.file(key)}
	w.add(id, "url", "credentials moved out of the URL to basicAuth; the password is not copied: %s", creds.instruction(key))
}

// sitterHeaders copies the headers. meshprobe never inlines secrets, so an
// Authorization header becomes a bearer token file or is dropped, with a
// warning.
func sitterHeaders(c *check, headers map[string]json.RawMessage, creds *credentials, id string, w *warnings) error {
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		field := "headers." + k
		v, err := scalarString(headers[k])
		if err != nil {
			return &InputError{Object: id, Field: field, Problem: "want a string, got " + jsonKind(headers[k])}
		}
		switch scheme, _, _ := strings.Cut(v, " "); {
		case strings.EqualFold(k, "Authorization") && c.BasicAuth != nil:
			w.add(id, field, "dropped and not copied: basic auth replaces it, as in python-requests")
		case strings.EqualFold(k, "Authorization") && strings.EqualFold(scheme, "Bearer"):
			key := c.Name + "-bearer-token"
			c.BearerTokenFile = creds.file(key)
			w.add(id, field, "the bearer token is not copied: %s", creds.instruction(key))
		case strings.EqualFold(k, "Authorization"):
			w.add(id, field, "dropped and not copied: meshprobe never inlines credentials; set basicAuth or bearerTokenFile with a Secret by hand")
		case strings.EqualFold(k, "Proxy-Authorization"):
			w.add(id, field, "dropped and not copied: meshprobe's checks never use a proxy")
		default:
			if c.Headers == nil {
				c.Headers = map[string]string{}
			}
			c.Headers[k] = v
		}
	}
	return nil
}

// Content types of a converted payload map.
const (
	contentTypeForm = "application/x-www-form-urlencoded"
	contentTypeJSON = "application/json"
)

// sitterPayload sets the body from epsitter's payload: a string is sent as
// is; a mapping is form-encoded, as python-requests' data= did, or JSON, with
// a Content-Type header unless one is set.
func sitterPayload(c *check, raw json.RawMessage, encoding, id string) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil
	}
	if t[0] == '"' {
		return json.Unmarshal(t, &c.Body)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(t, &fields); err != nil {
		return &InputError{Object: id, Field: "payload", Problem: "want a mapping or a string, got " + jsonKind(t)}
	}
	contentType := contentTypeForm
	if encoding == PayloadJSON {
		contentType = contentTypeJSON
		c.Body = string(t)
		var compact bytes.Buffer
		if json.Compact(&compact, t) == nil {
			c.Body = compact.String()
		}
	} else {
		body, err := formBody(fields, id)
		if err != nil {
			return err
		}
		c.Body = body
	}
	for k := range c.Headers {
		if strings.EqualFold(k, "Content-Type") {
			return nil
		}
	}
	if c.Headers == nil {
		c.Headers = map[string]string{}
	}
	c.Headers["Content-Type"] = contentType
	return nil
}

// formBody form-encodes a payload map as python-requests does: scalars as
// str() makes them, a list as the key repeated.
func formBody(fields map[string]json.RawMessage, id string) (string, error) {
	values := url.Values{}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		raw := bytes.TrimSpace(fields[k])
		items := []json.RawMessage{raw}
		if len(raw) > 0 && raw[0] == '[' {
			if err := json.Unmarshal(raw, &items); err != nil {
				return "", &InputError{Object: id, Field: "payload." + k, Problem: err.Error()}
			}
		}
		for _, item := range items {
			v, err := scalarString(item)
			if err != nil {
				return "", &InputError{Object: id, Field: "payload." + k, Problem: "want a string, number or list of them, got " + jsonKind(item)}
			}
			if string(bytes.TrimSpace(item)) != "null" {
				values.Add(k, v)
			}
		}
	}
	return values.Encode(), nil
}
