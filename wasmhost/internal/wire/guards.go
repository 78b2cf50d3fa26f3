package wire

// The host functions that run the gateway's guards for a guest (ABI.md,
// "Host functions"): sluice.detect_injection and sluice.redact. Each writes
// its result, a JSON object, into a buffer the guest passes, when it fits,
// and returns its length either way: a guest whose buffer was too small
// calls again with one that large.
const (
	ImportDetectInjection = "detect_injection" // (ptr, len, tool, out, cap i32) -> i32
	ImportRedact          = "redact"           // (ptr, len, out, cap i32) -> i32
)

// AppendInjection appends the result of sluice.detect_injection:
// {"injection": bool, "score": number, "signals": [names]}.
func AppendInjection(b []byte, injection bool, score float64, signals []string) []byte {
	b = append(b, `{"injection":`...)
	b = AppendBool(b, injection)
	b = append(b, `,"score":`...)
	b = AppendFloat(b, score)
	b = append(b, `,"signals":`...)
	b = AppendStrings(b, signals)
	return append(b, '}')
}

// AppendRedaction appends the result of sluice.redact:
// {"text": the redacted text, "kinds": [the kind of each match]}.
func AppendRedaction(b []byte, text string, kinds []string) []byte {
	b = append(b, `{"text":`...)
	b = AppendString(b, text)
	b = append(b, `,"kinds":`...)
	b = AppendStrings(b, kinds)
	return append(b, '}')
}

// AppendStrings appends ss as a JSON array of strings.
func AppendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}
