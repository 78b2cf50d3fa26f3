package gateway

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/limits"
)

// ConsumerConfig declares one caller of the gateway (`consumer NAME { ... }`):
// the keys it authenticates with, the models it may use, its rate limits,
// budget and metadata.
type ConsumerConfig struct {
	Name string
	// Keys are the consumer's virtual keys, sent as "Authorization: Bearer
	// KEY" or "x-api-key: KEY".
	Keys []string
	// Models are the public model names the consumer may ask for; `*`
	// matches any run of characters. Empty: every model.
	Models []string
	Rules  []limits.Rule
	Budget *limits.Budget
	// Metadata is handed to scripts as consumer.metadata.
	Metadata map[string]string
}

// consumer is a declared consumer as the pipeline uses it.
type consumer struct {
	name     string
	label    string // its value of the consumer label in metrics
	models   []string
	rules    []limits.Rule
	budget   *limits.Budget
	metadata map[string]string
	// limited: some rule or a budget applies, so calls are admitted
	// against the store.
	limited bool
	// countsTokens: a token rule or a budget needs the prompt counted.
	countsTokens bool
}

// consumerTable finds the consumer a key belongs to. Keys are kept only as
// SHA-256 digests: the table never holds a key in the clear, and a lookup
// goes by the digest of the key presented, so the time a lookup takes can
// tell an attacker at most something about a digest, never about a key
// (the usual constant-time argument for hashed-key lookups).
type consumerTable struct {
	byDigest map[[sha256.Size]byte]*consumer
	all      []*consumer
}

func newConsumerTable(cfgs []ConsumerConfig, labelMode string) (*consumerTable, error) {
	if len(cfgs) == 0 {
		return nil, nil
	}
	metaKey, byMeta := strings.CutPrefix(labelMode, "metadata:")
	switch {
	case labelMode == "" || labelMode == "name" || labelMode == "none":
	case byMeta && metaKey != "":
	default:
		return nil, fmt.Errorf("the consumer label must be name, none or metadata:<key>, not %q", labelMode)
	}
	t := &consumerTable{byDigest: make(map[[sha256.Size]byte]*consumer)}
	names := make(map[string]bool, len(cfgs))
	for _, cc := range cfgs {
		if cc.Name == "" {
			return nil, fmt.Errorf("a consumer has no name")
		}
		if names[cc.Name] {
			return nil, fmt.Errorf("consumer %s is declared twice", cc.Name)
		}
		names[cc.Name] = true
		if len(cc.Keys) == 0 {
			return nil, fmt.Errorf("consumer %s has no key", cc.Name)
		}
		c := &consumer{name: cc.Name, label: cc.Name, models: cc.Models, rules: cc.Rules, budget: cc.Budget, metadata: cc.Metadata}
		switch {
		case labelMode == "none":
			c.label = "_all"
		case byMeta:
			if c.label = cc.Metadata[metaKey]; c.label == "" {
				c.label = "_unset"
			}
		}
		c.limited = len(c.rules) > 0 || c.budget != nil
		c.countsTokens = c.budget != nil
		for _, r := range c.rules {
			if err := r.Validate(); err != nil {
				return nil, fmt.Errorf("consumer %s: %w", cc.Name, err)
			}
			if r.Kind == limits.Tokens {
				c.countsTokens = true
			}
		}
		if c.budget != nil {
			if err := c.budget.Validate(); err != nil {
				return nil, fmt.Errorf("consumer %s: %w", cc.Name, err)
			}
		}
		for _, key := range cc.Keys {
			if key == "" {
				return nil, fmt.Errorf("consumer %s has an empty key", cc.Name)
			}
			d := sha256.Sum256([]byte(key))
			if other, dup := t.byDigest[d]; dup {
				return nil, fmt.Errorf("consumers %s and %s share a key", other.name, cc.Name)
			}
			t.byDigest[d] = c
		}
		t.all = append(t.all, c)
	}
	return t, nil
}

// identify returns the consumer whose key r carries, or the 401 to answer.
func (t *consumerTable) identify(r *http.Request) (*consumer, *apierror.Error) {
	key := presentedKey(r)
	if key == "" {
		return nil, apierror.InvalidAPIKey(true)
	}
	d := sha256.Sum256([]byte(key))
	c, ok := t.byDigest[d]
	if !ok {
		return nil, apierror.InvalidAPIKey(false)
	}
	return c, nil
}

// presentedKey is the key a request carries: "Authorization: Bearer KEY"
// (both SDKs can send it) or "x-api-key: KEY" (the Anthropic SDK's own).
func presentedKey(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
			return strings.TrimSpace(auth[7:])
		}
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

// allows reports whether the consumer may use the public model.
func (c *consumer) allows(model string) bool {
	if len(c.models) == 0 {
		return true
	}
	for _, pattern := range c.models {
		if matchWildcard(pattern, model) {
			return true
		}
	}
	return false
}
