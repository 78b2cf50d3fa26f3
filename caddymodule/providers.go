package caddymodule

import (
	"slices"

	"github.com/sluicegw/sluice/providers"
	// Every provider type registers itself; importing it here puts it in
	// the binary.
	_ "github.com/sluicegw/sluice/providers/anthropic"
	_ "github.com/sluicegw/sluice/providers/azure"
	_ "github.com/sluicegw/sluice/providers/bedrock"
	_ "github.com/sluicegw/sluice/providers/gemini"
	_ "github.com/sluicegw/sluice/providers/openai"
)

// providerTypes are the `type` words a provider may use: the registered
// types and the built-in mock.
func providerTypes() []string {
	return slices.Sorted(slices.Values(append(providers.Types(), "mock")))
}

// typeOnlyWords are provider words that apply to one type only.
var typeOnlyWords = map[string]string{
	"chunks": "mock", "chunk_delay": "mock", "latency": "mock", "fail_status": "mock", "fail_after": "mock",
	"api_version": "azure",
	"region":      "bedrock", "access_key_id": "bedrock", "secret_access_key": "bedrock", "session_token": "bedrock",
}

// baseURLRequired are the types without a default service root.
var baseURLRequired = map[string]bool{"openai": true, "openai_compatible": true, "azure": true}
