package gemini

import (
	"strconv"
	"strings"
)

// Tool call ids. OpenAI's answers name each tool call with an id that the
// client sends back with the call's result; Gemini's generateContent answers
// usually carry none. And Gemini 3 signs its function calls: the part of a
// function call carries a thoughtSignature that must come back, unchanged,
// on that call when the conversation continues, or the API refuses the
// request. OpenAI's and Anthropic's clients keep nothing but the id, so the
// id carries the signature:
//
//	call_<response>_<n>[_sig_<signature>]
//
// <response> is the answer's responseId (letters and digits only) and <n>
// counts the answer's function calls from 0, so ids are unique across the
// turns of a conversation and the same answer always gets the same ids. When
// Gemini does give the call an id (letters, digits, _ and -), that id stands
// for call_<response>_<n>. <signature> is the thoughtSignature in URL-safe
// base64 without padding, so the whole id stays within [A-Za-z0-9_-] (what
// Anthropic's tool_use ids allow). Such ids can be a few kilobytes long.
const signatureMarker = "_sig_"

// toolCallID builds the id of the answer's n-th function call.
func toolCallID(dst []byte, responseID string, n int, geminiID, signature string) []byte {
	if geminiID != "" && isIDSafe(geminiID) && !strings.Contains(geminiID, signatureMarker) {
		dst = append(dst, geminiID...)
	} else {
		dst = append(dst, "call_"...)
		for i := 0; i < len(responseID); i++ {
			if c := responseID[i]; isAlnum(c) {
				dst = append(dst, c)
			}
		}
		if responseID != "" {
			dst = append(dst, '_')
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	if signature == "" {
		return dst
	}
	dst = append(dst, signatureMarker...)
	for i := 0; i < len(signature); i++ {
		switch c := signature[i]; c {
		case '+':
			dst = append(dst, '-')
		case '/':
			dst = append(dst, '_')
		case '=':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// signatureFromID returns the thoughtSignature a tool call id carries, in
// standard padded base64, or "".
func signatureFromID(id string) string {
	i := strings.Index(id, signatureMarker)
	if i < 0 {
		return ""
	}
	enc := id[i+len(signatureMarker):]
	if enc == "" {
		return ""
	}
	b := make([]byte, 0, len(enc)+3)
	for i := 0; i < len(enc); i++ {
		switch c := enc[i]; c {
		case '-':
			b = append(b, '+')
		case '_':
			b = append(b, '/')
		default:
			b = append(b, c)
		}
	}
	for len(b)%4 != 0 {
		b = append(b, '=')
	}
	return string(b)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isIDSafe(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
