package scripting

import (
	"encoding/json"
	"math"
	"strconv"
)

// The fields of req. Both engines build each one the first time a hook
// reads it, so a hook pays only for what it looks at, and copy back only
// the ones a hook read or assigned.
const (
	fModel = iota
	fSystem
	fMessages
	fTools
	fMaxTokens
	fTemperature
	fTopP
	fStream
	fConsumer
	fHeaders
	fClientIP
	fEstimated
	fMetadata
	nReqFields
)

// fieldSet is a set of req fields.
type fieldSet uint16

const allFields fieldSet = 1<<nReqFields - 1

func (s fieldSet) has(id int) bool { return s&(1<<id) != 0 }

var reqFieldNames = [nReqFields]string{"model", "system", "messages", "tools", "max_tokens", "temperature",
	"top_p", "stream", "consumer", "headers", "client_ip", "estimated_input_tokens", "metadata"}

func reqFieldID(key string) int {
	switch key {
	case "model":
		return fModel
	case "system":
		return fSystem
	case "messages":
		return fMessages
	case "tools":
		return fTools
	case "max_tokens":
		return fMaxTokens
	case "temperature":
		return fTemperature
	case "top_p":
		return fTopP
	case "stream":
		return fStream
	case "consumer":
		return fConsumer
	case "headers":
		return fHeaders
	case "client_ip":
		return fClientIP
	case "estimated_input_tokens":
		return fEstimated
	case "metadata":
		return fMetadata
	}
	return -1
}

// maxDepth bounds the nesting of values converted between Go and a script
// (and catches cycles).
const maxDepth = 64

// jsonShape turns any other Go value (json.RawMessage, a struct, a typed
// map) into the decoded-JSON form the converters know: through JSON.
func jsonShape(v any) (any, bool) {
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, false
		}
	}
	var d any
	if json.Unmarshal(b, &d) != nil {
		return nil, false
	}
	return d, true
}

// number is a numeric Go value as float64, if v is one.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// toInt converts a script number to an int field's value.
func toInt(f float64, field string) (int, error) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || f > math.MaxInt32 || f < math.MinInt32 {
		return 0, shapeError("%s must be an integer, got %v", field, f)
	}
	return int(f), nil
}

// sameInt keeps p when it already holds v (no allocation for an unchanged
// field).
func sameInt(p *int, v int) *int {
	if p != nil && *p == v {
		return p
	}
	return &v
}

func sameFloat(p *float64, v float64) *float64 {
	if p != nil && *p == v {
		return p
	}
	return &v
}

// keyString formats a numeric table key as a JSON object key.
func keyString(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
