package pricing

// BuiltinDate is when the built-in prices were taken from the providers'
// public price pages. Prices change: override them with `prices FILE`.
const BuiltinDate = "2025-10-15"

// builtin holds list prices in US dollars per million tokens (standard
// tier, no batch discount; Gemini at its up-to-200k-token prompt tier;
// Bedrock's on-demand prices for the same models equal the vendors').
var builtin = map[string]Price{
	// OpenAI
	"gpt-5":         {Input: 1.25, Output: 10, CachedInput: 0.125},
	"gpt-5-mini":    {Input: 0.25, Output: 2, CachedInput: 0.025},
	"gpt-5-nano":    {Input: 0.05, Output: 0.40, CachedInput: 0.005},
	"gpt-4.1":       {Input: 2, Output: 8, CachedInput: 0.50},
	"gpt-4.1-mini":  {Input: 0.40, Output: 1.60, CachedInput: 0.10},
	"gpt-4.1-nano":  {Input: 0.10, Output: 0.40, CachedInput: 0.025},
	"gpt-4o":        {Input: 2.50, Output: 10, CachedInput: 1.25},
	"gpt-4o-mini":   {Input: 0.15, Output: 0.60, CachedInput: 0.075},
	"o3":            {Input: 2, Output: 8, CachedInput: 0.50},
	"o3-mini":       {Input: 1.10, Output: 4.40, CachedInput: 0.55},
	"o4-mini":       {Input: 1.10, Output: 4.40, CachedInput: 0.275},
	"o1":            {Input: 15, Output: 60, CachedInput: 7.50},
	"gpt-3.5-turbo": {Input: 0.50, Output: 1.50},
	// OpenAI embeddings (no output tokens)
	"text-embedding-3-small": {Input: 0.02},
	"text-embedding-3-large": {Input: 0.13},
	"text-embedding-ada-002": {Input: 0.10},

	// Anthropic (cached_input is the cache-read price, cache_write the
	// price of writing the prompt cache with the default 5-minute lifetime,
	// 1.25 × input)
	"claude-opus-4-1":   {Input: 15, Output: 75, CachedInput: 1.50, CacheWrite: 18.75},
	"claude-opus-4":     {Input: 15, Output: 75, CachedInput: 1.50, CacheWrite: 18.75},
	"claude-sonnet-4-5": {Input: 3, Output: 15, CachedInput: 0.30, CacheWrite: 3.75},
	"claude-sonnet-4":   {Input: 3, Output: 15, CachedInput: 0.30, CacheWrite: 3.75},
	"claude-3-7-sonnet": {Input: 3, Output: 15, CachedInput: 0.30, CacheWrite: 3.75},
	"claude-haiku-4-5":  {Input: 1, Output: 5, CachedInput: 0.10, CacheWrite: 1.25},
	"claude-3-5-haiku":  {Input: 0.80, Output: 4, CachedInput: 0.08, CacheWrite: 1},
	"claude-3-haiku":    {Input: 0.25, Output: 1.25, CachedInput: 0.03, CacheWrite: 0.30},

	// Google Gemini
	"gemini-2.5-pro":        {Input: 1.25, Output: 10, CachedInput: 0.31},
	"gemini-2.5-flash":      {Input: 0.30, Output: 2.50, CachedInput: 0.075},
	"gemini-2.5-flash-lite": {Input: 0.10, Output: 0.40, CachedInput: 0.025},
	"gemini-2.0-flash":      {Input: 0.10, Output: 0.40, CachedInput: 0.025},
	"gemini-2.0-flash-lite": {Input: 0.075, Output: 0.30},

	// Amazon Bedrock's own models
	"nova-pro":   {Input: 0.80, Output: 3.20, CachedInput: 0.20},
	"nova-lite":  {Input: 0.06, Output: 0.24, CachedInput: 0.015},
	"nova-micro": {Input: 0.035, Output: 0.14, CachedInput: 0.00875},
}

// Builtin returns the built-in table.
func Builtin() *Table { return NewTable(builtin, "built-in prices of "+BuiltinDate) }
