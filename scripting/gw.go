package scripting

import (
	"fmt"

	"github.com/sluicegw/sluice/guard"
	"math"
	"net/http"
	"strings"
	"time"
)

// The Go side of the gw helpers both engines offer (see the package
// documentation, "gw").

// hash53 is gw.hash: FNV-1a 64 of s, low 53 bits.
func hash53(s string) float64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return float64(h & (1<<53 - 1))
}

// detectInjection is gw.detect_injection(text [, "tool"]).
func detectInjection(text, source string) guard.InjectionResult {
	return guard.DetectInjection(text, source == "tool")
}

// redactText is gw.redact(text).
func redactText(text string) (string, []string) { return guard.RedactText(text) }

// nowSeconds is gw.now: Unix seconds with millisecond precision.
func nowSeconds() float64 {
	return float64(time.Now().UnixMilli()) / 1000
}

// logLevel checks a gw.log level.
func logLevel(level string) (string, error) {
	switch level {
	case "debug", "info", "warn", "error":
		return level, nil
	}
	return "", fmt.Errorf(`gw.log: unknown level %q (use "debug", "info", "warn" or "error")`, level)
}

// newDenial checks gw.deny's arguments: status an integer in 400..599; an
// empty message becomes the status text.
func newDenial(status float64, message string) (*Denial, error) {
	if status != math.Trunc(status) || status < 400 || status > 599 {
		return nil, fmt.Errorf("gw.deny: status must be an integer from 400 to 599, got %v", status)
	}
	if message == "" {
		message = http.StatusText(int(status))
	}
	return &Denial{Status: int(status), Message: message}, nil
}

// nopLogger discards; it stands in for a nil Logger.
type nopLogger struct{}

func (nopLogger) Log(string, string) {}

func orNop(l Logger) Logger {
	if l == nil {
		return nopLogger{}
	}
	return l
}

// joinArgs joins print's arguments with spaces.
func joinArgs(n int, arg func(i int) string) string {
	if n == 1 {
		return arg(0)
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(arg(i))
	}
	return b.String()
}
