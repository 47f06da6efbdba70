package config

import "fmt"

// JenkinsServer returns the server an action names. An empty name finds the
// only server when exactly one is configured, as an action may leave it out.
func (c *Config) JenkinsServer(name string) (*JenkinsServer, bool) {
	if name == "" {
		name = onlyName(c.Jenkins)
	}
	s, ok := c.Jenkins[name]
	return s, ok && s != nil
}

// SlackConnection returns the connection an action names. An empty name
// finds the only connection when exactly one is configured.
func (c *Config) SlackConnection(name string) (*SlackConnection, bool) {
	if name == "" {
		name = onlyName(c.Slack)
	}
	s, ok := c.Slack[name]
	return s, ok && s != nil
}

// ActionKey returns the key of the action-th action of the rule-th rule,
// rules[i].do[j], for placing errors about it with Pos and Errorf.
func (c *Config) ActionKey(rule, action int) string {
	return fmt.Sprintf("rules[%d].do[%d]", rule, action)
}

// ItemKey returns the key of the i-th string of a value that may be written
// as one string or a list (on:, branches:, webhook_secret:): key[i] when it
// was written as a list, key itself when written as one string.
func (c *Config) ItemKey(key string, i int) string {
	item := fmt.Sprintf("%s[%d]", key, i)
	if _, ok := c.positions[item]; ok {
		return item
	}
	return key
}
