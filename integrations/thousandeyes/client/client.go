package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config configures a Client. Zero values take the defaults documented per field.
type Config struct {
	// BaseURL is the API root, e.g. https://api.thousandeyes.com/v7 (required).
	BaseURL string
	// Token is the bearer token (required). It is never logged.
	Token string
	// AID, when set, is sent as the aid query parameter on every call.
	AID string
	// HTTPClient sends the requests; default a client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each request attempt; default 30s.
	Timeout time.Duration
	// BudgetShare is the fraction of the organisation's rate limit this client may
	// use, in (0,1]; default 0.5. The budget is shared with every other integration.
	BudgetShare float64
	// OrgLimit is the organisation's limit per Window until a response says
	// otherwise; default 240.
	OrgLimit int
	// Window is the rate-limit window; default one minute.
	Window time.Duration
	// MaxRetries is how often an idempotent call (GET, PUT, DELETE) is retried after
	// a 429, a 5xx or a transport error; default 4. POST is never retried.
	MaxRetries int
	// RetryBackoff is the first backoff for 5xx and transport errors, doubled per
	// attempt with jitter; default 500ms. It is also the fallback wait after a 429
	// without a usable Reset header.
	RetryBackoff time.Duration
	// MaxJitter is the most random delay added after the Reset time; default Window/20.
	MaxJitter time.Duration
	// Observe, when set, is called once per HTTP attempt with the method and the
	// status code (0 for a transport error). Used for metrics.
	Observe func(method string, code int)
	// Logger receives debug logs of retries and waits; default discards.
	Logger *slog.Logger
	// BeforeWrite, when set, is called with the request's context right before
	// each POST, PUT and DELETE attempt is sent (after the wait for the budget).
	// An error refuses the attempt: the call returns it wrapped in
	// ErrWriteRefused, unsent and not retried.
	BeforeWrite func(ctx context.Context) error
}

// ErrWriteRefused wraps the error of Config.BeforeWrite: the write was not sent.
var ErrWriteRefused = errors.New("write refused before sending")

// Client talks to the ThousandEyes API v7.
type Client struct {
	base   *url.URL
	cfg    Config
	http   *http.Client
	budget *budget
	log    *slog.Logger
}

// New validates cfg, fills its defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("thousandeyes client: invalid base URL %q: want http(s)://host/path", cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("thousandeyes client: no API token")
	}
	if cfg.BudgetShare < 0 || cfg.BudgetShare > 1 {
		return nil, fmt.Errorf("thousandeyes client: budget share %v must be in (0,1]", cfg.BudgetShare)
	}
	cfg = withDefaults(cfg)
	c := &Client{base: base, cfg: cfg, http: cfg.HTTPClient, log: cfg.Logger}
	c.budget = newBudget(cfg.BudgetShare, cfg.OrgLimit, cfg.Window, cfg.RetryBackoff, cfg.MaxJitter)
	return c, nil
}

func withDefaults(cfg Config) Config {
	setDefault(&cfg.Timeout, 30*time.Second)
	setDefault(&cfg.BudgetShare, 0.5)
	setDefault(&cfg.OrgLimit, 240)
	setDefault(&cfg.Window, time.Minute)
	setDefault(&cfg.MaxRetries, 4)
	setDefault(&cfg.RetryBackoff, 500*time.Millisecond)
	setDefault(&cfg.MaxJitter, cfg.Window/20)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// RateLimit reports the organisation limit last seen and the time until which
// requests are held back (zero when not held).
func (c *Client) RateLimit() (limit int, blockedUntil time.Time) { return c.budget.snapshot() }

// maxBody caps a successful response body.
const maxBody = 32 << 20

// call is one API operation.
type call struct {
	method string
	path   string // below the base URL, e.g. /tests/http-server
	query  url.Values
	body   any
	out    any
	header *http.Header // receives the response headers when set
}

// do runs c, retrying idempotent methods on 429, 5xx and transport errors.
func (c *Client) do(ctx context.Context, cl call) error {
	payload, err := encodeBody(cl.body)
	if err != nil {
		return err
	}
	idempotent := cl.method != http.MethodPost
	for attempt := 0; ; attempt++ {
		err := c.attempt(ctx, cl, payload)
		if err == nil || !idempotent || attempt >= c.cfg.MaxRetries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		c.log.Debug("retrying ThousandEyes call", "method", cl.method, "path", cl.path, "attempt", attempt+1, "err", err)
		if IsRateLimited(err) {
			continue // the budget holds the next attempt until Reset
		}
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return err
		}
	}
}

func encodeBody(body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding request: %w", err)
	}
	return b, nil
}

func retryable(err error) bool {
	code := StatusCode(err)
	if code == 0 {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, ErrWriteRefused)
	}
	return code == http.StatusTooManyRequests || code >= 500
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryBackoff << min(attempt, 6)
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter needs no crypto randomness
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt sends one request after waiting for the budget.
func (c *Client) attempt(ctx context.Context, cl call, payload []byte) error {
	if err := c.budget.wait(ctx); err != nil {
		return err
	}
	if err := c.beforeWrite(ctx, cl); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := c.newRequest(ctx, cl, payload)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.observe(cl.method, 0)
		return fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	c.observe(cl.method, resp.StatusCode)
	c.budget.observe(resp.Header, resp.StatusCode)
	if cl.header != nil {
		*cl.header = resp.Header
	}
	return decodeResponse(cl, resp)
}

// beforeWrite asks Config.BeforeWrite whether a write may be sent now.
func (c *Client) beforeWrite(ctx context.Context, cl call) error {
	if cl.method == http.MethodGet || c.cfg.BeforeWrite == nil {
		return nil
	}
	if err := c.cfg.BeforeWrite(ctx); err != nil {
		return fmt.Errorf("%s %s: %w: %w", cl.method, cl.path, ErrWriteRefused, err)
	}
	return nil
}

func (c *Client) observe(method string, code int) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(method, code)
	}
}

func (c *Client) newRequest(ctx context.Context, cl call, payload []byte) (*http.Request, error) {
	u := *c.base
	u.Path = c.base.Path + cl.path
	q := url.Values{}
	for k, v := range cl.query {
		q[k] = v
	}
	if c.cfg.AID != "" {
		q.Set("aid", c.cfg.AID)
	}
	u.RawQuery = q.Encode()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building request %s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Accept", "application/hal+json, application/json, application/problem+json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

func decodeResponse(cl call, resp *http.Response) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return parseError(cl.method, cl.path, resp.StatusCode, body)
	}
	if cl.out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(cl.out); err != nil {
		return fmt.Errorf("%s %s: decoding %d response: %w", cl.method, cl.path, resp.StatusCode, err)
	}
	return nil
}

// BaseURL returns the API base URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }
