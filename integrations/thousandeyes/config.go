package thousandeyes

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/reconciler"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// ErrNotConfigured is returned by New when no API token is configured: the caller
// should run without the ThousandEyes sync.
var ErrNotConfigured = errors.New("thousandeyes: no API token (set " + contract.EnvTEAPIToken + " or " + contract.EnvTEAPITokenFile + ")")

// Config configures the controller. DefaultConfig documents every default.
type Config struct {
	// APIURL is the API base URL (env TE_API_URL).
	APIURL string
	// Token is the bearer token (env TE_API_TOKEN). Prefer TokenFile.
	Token string
	// TokenFile is a file holding the token, e.g. a mounted Secret (env
	// TE_API_TOKEN_FILE); it is read at the start of every Run, so a rotated
	// Secret is picked up at the next leadership term.
	TokenFile string
	// AID is the account group ID sent as ?aid= (env TE_AID); empty for the default.
	AID string
	// Selector selects the ConfigMaps (a label selector).
	Selector string
	// Namespace limits the watch to one namespace; empty watches all. A namespace
	// named here is opted in.
	Namespace string
	// Namespaces are opted in to the sync by the admin, besides HomeNamespace,
	// Namespace and every namespace labelled meshprobe.io/thousandeyes=enabled.
	// ConfigMaps in other namespaces are ignored.
	Namespaces []string
	// HomeNamespace is meshprobe's own namespace: always opted in, and part of
	// the default install identity. Default contract.DefaultNamespace.
	HomeNamespace string
	// ClusterName names this cluster in the install identity. Empty: the UID of
	// the kube-system namespace, which is unique per cluster.
	ClusterName string
	// InstallID overrides the install identity written into each test's marker
	// (default "<ClusterName>/<HomeNamespace>"). Only tests that carry it are
	// updated or pruned; give every install sharing an account group its own.
	InstallID string
	// Lease, when set, is the Lease this replica must hold for every write: it
	// is read right before each one (Run's context covers the rest).
	Lease *LeaseRef
	// Resync is the period of full passes that repair drift made by hand.
	Resync time.Duration
	// Debounce is the quiet time after a ConfigMap change before a pass.
	Debounce time.Duration
	// RetryMin and RetryMax bound the backoff after a failed pass.
	RetryMin, RetryMax time.Duration
	// PassTimeout bounds one pass; a first sync of many tests at a small budget
	// share takes minutes.
	PassTimeout time.Duration
	// BudgetShare is the share of the organisation's rate limit meshprobe may use.
	BudgetShare float64
	// OrgLimit is the organisation's requests per RateWindow until the API's
	// headers say otherwise.
	OrgLimit int
	// RateWindow is the API's rate-limit window.
	RateWindow time.Duration
	// RequestTimeout bounds each API request.
	RequestTimeout time.Duration
	// Prune deletes owned tests that are no longer declared, for every ConfigMap.
	Prune bool
	// AdoptByURL takes over unmarked tests whose URL exactly one declaration uses.
	AdoptByURL bool
	// HTTPClient overrides the API's HTTP client (tests, proxies).
	HTTPClient *http.Client
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		APIURL:         contract.DefaultTEAPIURL,
		HomeNamespace:  contract.DefaultNamespace,
		Selector:       contract.ThousandEyesDefaultSelector,
		Resync:         10 * time.Minute,
		Debounce:       2 * time.Second,
		RetryMin:       15 * time.Second,
		RetryMax:       5 * time.Minute,
		PassTimeout:    15 * time.Minute,
		BudgetShare:    0.5,
		OrgLimit:       240,
		RateWindow:     time.Minute,
		RequestTimeout: 30 * time.Second,
	}
}

// RegisterFlags adds the --thousandeyes-* flags, with o's values as defaults.
// The token has no flag, so it never shows in a process list.
func (o *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.APIURL, "thousandeyes-api-url", o.APIURL, "ThousandEyes API v7 base URL (env "+contract.EnvTEAPIURL+")")
	fs.StringVar(&o.TokenFile, "thousandeyes-token-file", o.TokenFile, "file holding the ThousandEyes bearer token (env "+contract.EnvTEAPITokenFile+")")
	fs.StringVar(&o.AID, "thousandeyes-aid", o.AID, "ThousandEyes account group ID (env "+contract.EnvTEAID+")")
	fs.StringVar(&o.Selector, "thousandeyes-selector", o.Selector, "label selector of the ConfigMaps that declare tests")
	fs.StringVar(&o.Namespace, "thousandeyes-namespace", o.Namespace, "watch only this namespace (default: all); it is opted in")
	fs.Func("thousandeyes-namespaces", "comma-separated namespaces opted in to the sync, besides meshprobe's own and those labelled "+NamespaceLabel+"="+NamespaceLabelValue, func(v string) error {
		o.Namespaces = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
		return nil
	})
	fs.StringVar(&o.ClusterName, "thousandeyes-cluster-name", o.ClusterName, "this cluster's name in the install identity (default: the kube-system namespace's UID)")
	fs.StringVar(&o.InstallID, "thousandeyes-install-id", o.InstallID, "identity written into each test's marker; only tests carrying it are updated or pruned (default <cluster-name>/<namespace>)")
	fs.DurationVar(&o.Resync, "thousandeyes-resync", o.Resync, "period of full sync passes that repair drift")
	fs.DurationVar(&o.Debounce, "thousandeyes-debounce", o.Debounce, "quiet time after a ConfigMap change before a pass")
	fs.Float64Var(&o.BudgetShare, "thousandeyes-budget-share", o.BudgetShare, "share of the organisation's API rate limit (240/min) meshprobe may use, in (0,1]")
	fs.BoolVar(&o.Prune, "thousandeyes-prune", o.Prune, "delete owned tests no longer declared, for every ConfigMap (also per ConfigMap with prune: true)")
	fs.BoolVar(&o.AdoptByURL, "thousandeyes-adopt-by-url", o.AdoptByURL, "take over an unmarked test whose URL exactly one declaration uses")
}

// LoadEnv fills the API settings from the environment where set: TE_API_URL,
// TE_API_TOKEN, TE_API_TOKEN_FILE and TE_AID. Call it before parsing flags so
// flags win.
func (o *Config) LoadEnv(getenv func(string) string) {
	for env, dst := range map[string]*string{
		contract.EnvTEAPIURL: &o.APIURL, contract.EnvTEAPIToken: &o.Token,
		contract.EnvTEAPITokenFile: &o.TokenFile, contract.EnvTEAID: &o.AID,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
}

// validate checks the options that do not need the token.
func (o *Config) validate() error {
	if o.Token == "" && o.TokenFile == "" {
		return ErrNotConfigured
	}
	if _, err := labels.Parse(o.Selector); err != nil {
		return fmt.Errorf("thousandeyes: invalid selector %q: %w", o.Selector, err)
	}
	if o.HomeNamespace == "" {
		return errors.New("thousandeyes: the home namespace is empty")
	}
	for name, v := range map[string]string{"install id": o.InstallID, "cluster name": o.ClusterName} {
		if v == "" {
			continue
		}
		if err := reconciler.ValidateInstall(v); err != nil {
			return fmt.Errorf("thousandeyes: %s: %w", name, err)
		}
	}
	if o.BudgetShare <= 0 || o.BudgetShare > 1 {
		return fmt.Errorf("thousandeyes: budget share %v must be in (0,1]", o.BudgetShare)
	}
	for name, d := range map[string]time.Duration{"resync": o.Resync, "debounce": o.Debounce, "retry-min": o.RetryMin,
		"retry-max": o.RetryMax, "pass-timeout": o.PassTimeout, "rate-window": o.RateWindow, "request-timeout": o.RequestTimeout} {
		if d <= 0 {
			return fmt.Errorf("thousandeyes: %s must be positive, got %v", name, d)
		}
	}
	return nil
}

// token returns the configured token, reading TokenFile when set.
func (o *Config) token() (string, error) {
	if o.TokenFile == "" {
		return o.Token, nil
	}
	b, err := os.ReadFile(o.TokenFile)
	if err != nil {
		return "", fmt.Errorf("thousandeyes: reading token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("thousandeyes: token file %s is empty", o.TokenFile)
	}
	return tok, nil
}
