package gemini

import (
	"github.com/sluicegw/sluice/internal/jsonw"
)

// The answers this provider writes (OpenAI chat completions and their
// stream chunks) are appended to byte slices by hand: they are on every
// response's path, and encoding/json's reflection would cost more than the
// translation itself.

// appendString appends s as a JSON string (see jsonw.AppendString).
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

// appendEscaped appends the inside of s as a JSON string, without quotes.
func appendEscaped(dst []byte, s string) []byte { return jsonw.AppendEscaped(dst, s) }
