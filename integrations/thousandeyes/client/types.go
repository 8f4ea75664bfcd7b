package client

// Agent is a ThousandEyes agent as listed by GET /agents, and as it appears in a
// test's expanded "agents" list. In a request only AgentID is sent.
type Agent struct {
	AgentID   string `json:"agentId"`
	AgentName string `json:"agentName,omitempty"`
	AgentType string `json:"agentType,omitempty"`
}

// AlertRule is an alert rule as listed by GET /alerts/rules and as expanded in a test.
type AlertRule struct {
	RuleID    string `json:"ruleId"`
	RuleName  string `json:"ruleName,omitempty"`
	AlertType string `json:"alertType,omitempty"`
	IsDefault bool   `json:"isDefault,omitempty"`
}

// AgentRef is the request form of an agent: {"agentId":"3"}.
type AgentRef struct {
	AgentID string `json:"agentId"`
}

// HTTPServerTestRequest is the body of POST and PUT /tests/http-server. Pointer
// fields are omitted when nil; on PUT an omitted field keeps its old value, so
// callers that manage a field must always set it.
type HTTPServerTestRequest struct {
	TestName              string     `json:"testName,omitempty"`
	URL                   string     `json:"url"`
	Description           *string    `json:"description,omitempty"`
	Interval              int        `json:"interval"`
	AlertsEnabled         *bool      `json:"alertsEnabled,omitempty"`
	Enabled               *bool      `json:"enabled,omitempty"`
	VerifyCertificate     *bool      `json:"verifyCertificate,omitempty"`
	BandwidthMeasurements *bool      `json:"bandwidthMeasurements,omitempty"`
	MTUMeasurements       *bool      `json:"mtuMeasurements,omitempty"`
	NetworkMeasurements   *bool      `json:"networkMeasurements,omitempty"`
	HTTPTargetTime        *int       `json:"httpTargetTime,omitempty"`
	HTTPTimeLimit         *int       `json:"httpTimeLimit,omitempty"`
	Agents                []AgentRef `json:"agents"`
	// AlertRules nil is omitted (alertsEnabled then applies the account's default
	// rules); a pointer to an empty list sends [] (no rules).
	AlertRules *[]string `json:"alertRules,omitempty"`
	// Headers is always sent, [] included: on PUT the API keeps the headers of a
	// field left out, so omitting an empty list could never remove the last header.
	Headers []string `json:"headers"`
}

// HTTPServerTest is a test as the API returns it. List items have no Agents and
// no AlertRules; GET with expand=agent,alert-rule fills them as objects.
type HTTPServerTest struct {
	TestID                string      `json:"testId"`
	TestName              string      `json:"testName"`
	Type                  string      `json:"type,omitempty"`
	URL                   string      `json:"url"`
	Description           string      `json:"description,omitempty"`
	Interval              int         `json:"interval"`
	AlertsEnabled         *bool       `json:"alertsEnabled,omitempty"`
	Enabled               *bool       `json:"enabled,omitempty"`
	VerifyCertificate     *bool       `json:"verifyCertificate,omitempty"`
	BandwidthMeasurements *bool       `json:"bandwidthMeasurements,omitempty"`
	MTUMeasurements       *bool       `json:"mtuMeasurements,omitempty"`
	NetworkMeasurements   *bool       `json:"networkMeasurements,omitempty"`
	HTTPTargetTime        *int        `json:"httpTargetTime,omitempty"`
	HTTPTimeLimit         *int        `json:"httpTimeLimit,omitempty"`
	Headers               []string    `json:"headers,omitempty"`
	Agents                []Agent     `json:"agents,omitempty"`
	AlertRules            []AlertRule `json:"alertRules,omitempty"`
	CreatedBy             string      `json:"createdBy,omitempty"`
	CreatedDate           string      `json:"createdDate,omitempty"`
	ModifiedBy            string      `json:"modifiedBy,omitempty"`
	ModifiedDate          string      `json:"modifiedDate,omitempty"`
	LiveShare             bool        `json:"liveShare,omitempty"`
	SavedEvent            bool        `json:"savedEvent,omitempty"`
}

type testList struct {
	Tests []HTTPServerTest `json:"tests"`
}

type agentList struct {
	Agents []Agent `json:"agents"`
}

type alertRuleList struct {
	AlertRules []AlertRule `json:"alertRules"`
}
