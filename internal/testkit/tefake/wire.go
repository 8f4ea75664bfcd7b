package tefake

// testRequest is the HttpServerTestRequest body. A nil field was omitted.
type testRequest struct {
	TestName              *string     `json:"testName"`
	URL                   *string     `json:"url"`
	Description           *string     `json:"description"`
	Interval              *int        `json:"interval"`
	AlertsEnabled         *bool       `json:"alertsEnabled"`
	Enabled               *bool       `json:"enabled"`
	VerifyCertificate     *bool       `json:"verifyCertificate"`
	BandwidthMeasurements *bool       `json:"bandwidthMeasurements"`
	MTUMeasurements       *bool       `json:"mtuMeasurements"`
	NetworkMeasurements   *bool       `json:"networkMeasurements"`
	HTTPTargetTime        *int        `json:"httpTargetTime"`
	HTTPTimeLimit         *int        `json:"httpTimeLimit"`
	HTTPVersion           *int        `json:"httpVersion"`
	FollowRedirects       *bool       `json:"followRedirects"`
	DesiredStatusCode     *string     `json:"desiredStatusCode"`
	ContentRegex          *string     `json:"contentRegex"`
	RequestMethod         *string     `json:"requestMethod"`
	PostBody              *string     `json:"postBody"`
	UserAgent             *string     `json:"userAgent"`
	Headers               *[]string   `json:"headers"`
	Agents                *[]agentRef `json:"agents"`
	AlertRules            *[]string   `json:"alertRules"`
}

type agentRef struct {
	AgentID string `json:"agentId"`
}

// apply copies every field present in r onto t.
func (r *testRequest) apply(t *Test) {
	set(&t.TestName, r.TestName)
	set(&t.URL, r.URL)
	set(&t.Description, r.Description)
	set(&t.Interval, r.Interval)
	set(&t.AlertsEnabled, r.AlertsEnabled)
	set(&t.Enabled, r.Enabled)
	set(&t.VerifyCertificate, r.VerifyCertificate)
	set(&t.BandwidthMeasurements, r.BandwidthMeasurements)
	set(&t.MTUMeasurements, r.MTUMeasurements)
	set(&t.NetworkMeasurements, r.NetworkMeasurements)
	set(&t.HTTPTargetTime, r.HTTPTargetTime)
	set(&t.HTTPTimeLimit, r.HTTPTimeLimit)
	set(&t.HTTPVersion, r.HTTPVersion)
	set(&t.FollowRedirects, r.FollowRedirects)
	set(&t.DesiredStatusCode, r.DesiredStatusCode)
	set(&t.ContentRegex, r.ContentRegex)
	set(&t.RequestMethod, r.RequestMethod)
	set(&t.PostBody, r.PostBody)
	set(&t.UserAgent, r.UserAgent)
	if r.Headers != nil {
		t.Headers = append([]string(nil), (*r.Headers)...)
	}
	if r.Agents != nil {
		t.Agents = t.Agents[:0:0]
		for _, a := range *r.Agents {
			t.Agents = append(t.Agents, a.AgentID)
		}
	}
	if r.AlertRules != nil {
		t.AlertRules = append([]string(nil), (*r.AlertRules)...)
	}
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

type link struct {
	Href string `json:"href"`
}

type links struct {
	Self link `json:"self"`
}

// testJSON is a test as the API returns it.
type testJSON struct {
	TestID                string      `json:"testId"`
	TestName              string      `json:"testName"`
	Type                  string      `json:"type"`
	URL                   string      `json:"url"`
	Description           string      `json:"description"`
	Interval              int         `json:"interval"`
	AlertsEnabled         bool        `json:"alertsEnabled"`
	Enabled               bool        `json:"enabled"`
	VerifyCertificate     bool        `json:"verifyCertificate"`
	BandwidthMeasurements bool        `json:"bandwidthMeasurements"`
	MTUMeasurements       bool        `json:"mtuMeasurements"`
	NetworkMeasurements   bool        `json:"networkMeasurements"`
	HTTPTargetTime        int         `json:"httpTargetTime"`
	HTTPTimeLimit         int         `json:"httpTimeLimit"`
	HTTPVersion           int         `json:"httpVersion"`
	FollowRedirects       bool        `json:"followRedirects"`
	DesiredStatusCode     string      `json:"desiredStatusCode"`
	ContentRegex          string      `json:"contentRegex"`
	RequestMethod         string      `json:"requestMethod"`
	PostBody              string      `json:"postBody,omitempty"`
	UserAgent             string      `json:"userAgent,omitempty"`
	Headers               []string    `json:"headers,omitempty"`
	Agents                []Agent     `json:"agents,omitempty"`
	AlertRules            []AlertRule `json:"alertRules,omitempty"`
	CreatedBy             string      `json:"createdBy"`
	CreatedDate           string      `json:"createdDate"`
	ModifiedBy            string      `json:"modifiedBy"`
	ModifiedDate          string      `json:"modifiedDate"`
	LiveShare             bool        `json:"liveShare"`
	SavedEvent            bool        `json:"savedEvent"`
	Links                 links       `json:"_links"`
}

type problem struct {
	Type     string       `json:"type,omitempty"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}
