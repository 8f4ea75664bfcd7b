package tefake

// Agent is an agent the fake knows.
type Agent struct {
	AgentID   string `json:"agentId"`
	AgentName string `json:"agentName"`
	AgentType string `json:"agentType"`
	Location  string `json:"location,omitempty"`
}

// AlertRule is an alert rule the fake knows. Rules with IsDefault are applied
// when a test has alertsEnabled true and no alertRules.
type AlertRule struct {
	RuleID    string `json:"ruleId"`
	RuleName  string `json:"ruleName"`
	AlertType string `json:"alertType"`
	IsDefault bool   `json:"isDefault"`
}

// Test is an HTTP Server test as the fake stores it. Agents and AlertRules hold IDs.
type Test struct {
	TestID                string
	TestName              string
	URL                   string
	Description           string
	Interval              int
	AlertsEnabled         bool
	Enabled               bool
	VerifyCertificate     bool
	BandwidthMeasurements bool
	MTUMeasurements       bool
	NetworkMeasurements   bool
	HTTPTargetTime        int
	HTTPTimeLimit         int
	HTTPVersion           int
	FollowRedirects       bool
	DesiredStatusCode     string
	ContentRegex          string
	RequestMethod         string
	PostBody              string
	UserAgent             string
	Headers               []string
	Agents                []string
	AlertRules            []string
	CreatedBy             string
	CreatedDate           string
	ModifiedBy            string
	ModifiedDate          string
}

func (t *Test) clone() Test {
	c := *t
	c.Headers = append([]string(nil), t.Headers...)
	c.Agents = append([]string(nil), t.Agents...)
	c.AlertRules = append([]string(nil), t.AlertRules...)
	return c
}

// newTest returns a test with the API's defaults for omitted optional fields.
func newTest() *Test {
	return &Test{
		Enabled: true, AlertsEnabled: true, NetworkMeasurements: true,
		HTTPTargetTime: 1000, HTTPTimeLimit: 5, HTTPVersion: 2, FollowRedirects: true,
		DesiredStatusCode: "default", RequestMethod: "get",
	}
}

// DefaultAgents are the agents a fake starts with when Options.Agents is empty.
func DefaultAgents() []Agent {
	return []Agent{
		{AgentID: "3", AgentName: "Singapore", AgentType: "cloud", Location: "Singapore"},
		{AgentID: "4", AgentName: "Tokyo, Japan", AgentType: "cloud", Location: "Tokyo"},
		{AgentID: "32", AgentName: "London, England", AgentType: "cloud", Location: "London"},
		{AgentID: "48", AgentName: "New York, NY", AgentType: "cloud", Location: "New York"},
		{AgentID: "1001", AgentName: "dc1-enterprise", AgentType: "enterprise", Location: "DC1"},
	}
}

// DefaultAlertRules are the rules a fake starts with when Options.AlertRules is empty.
func DefaultAlertRules() []AlertRule {
	return []AlertRule{
		{RuleID: "344753", RuleName: "Default HTTP Alert Rule", AlertType: "http-server", IsDefault: true},
		{RuleID: "1111111", RuleName: "HTTP 5xx", AlertType: "http-server"},
		{RuleID: "2222222", RuleName: "Slow response", AlertType: "http-server"},
	}
}
