package thousandeyes

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

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
	// Namespace limits the watch to one namespace; empty watches all.
	Namespace string
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
	fs.StringVar(&o.Namespace, "thousandeyes-namespace", o.Namespace, "watch only this namespace (default: all)")
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
