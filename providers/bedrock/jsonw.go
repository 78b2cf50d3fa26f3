package bedrock

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/sluicegw/sluice/internal/jsonw"
)

// appendString appends s as a JSON string (see jsonw.AppendString).
func appendString(b []byte, s string) []byte { return jsonw.AppendString(b, s) }

// appendCompact appends a raw JSON value without insignificant space; a
// value that is not valid JSON is appended as {} (it came from a model).
func appendCompact(b []byte, raw string) []byte {
	if raw == "" {
		return append(b, '{', '}')
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, []byte(raw)); err != nil {
		return append(b, '{', '}')
	}
	return buf.Bytes()
}

// completionID is the id of a translated answer: Bedrock's request id,
// else a random one.
func completionID(h http.Header) string {
	if id := h.Get("X-Amzn-Requestid"); id != "" {
		return "chatcmpl-" + id
	}
	var r [12]byte
	_, _ = rand.Read(r[:])
	return "chatcmpl-" + hex.EncodeToString(r[:])
}

// appendInt appends n as a JSON number.
func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
