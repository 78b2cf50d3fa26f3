package wire

import "math/bits"

// Scanning a word (8 bytes) at a time. Inside WebAssembly under wazero with
// WithCloseOnContextDone, every loop iteration costs an exit to the host to
// check whether the call was cancelled (tens of nanoseconds), so a loop per
// byte is slow; these loops run once per 8 bytes.

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// load64 reads 8 bytes little-endian (b must hold them).
func load64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// eqMask flags the bytes of x equal to c: exactly for the lowest such
// byte, and maybe falsely for higher ones (which callers never look at).
func eqMask(x uint64, c byte) uint64 {
	y := x ^ (lsb * uint64(c))
	return (y - lsb) &^ y & msb
}

// lessMask flags the bytes of x below n (n <= 128), with the same
// guarantee.
func lessMask(x uint64, n byte) uint64 {
	return (x - lsb*uint64(n)) &^ x & msb
}

// indexStringEnd is the index of the first '"' or '\\' (or, unless
// trusted, control character) in b at or after from, or -1. The last
// partial word is read as the last 8 bytes of b, so no loop runs per byte.
func indexStringEnd(b []byte, from int, trusted bool) int {
	i := from
	for ; i+8 <= len(b); i += 8 {
		if m := stringEndMask(load64(b[i:]), trusted); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	rest := len(b) - i
	if rest == 0 {
		return -1
	}
	if len(b) >= 8 {
		// The last word, shifted so that its first byte is b[i]; the
		// bytes shifted in are zeros, flagged only past rest.
		m := stringEndMask(load64(b[len(b)-8:])>>(8*(8-rest)), trusted)
		m &= 1<<(8*rest) - 1
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		return -1
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || (!trusted && c < 0x20) {
			return i
		}
	}
	return -1
}

func stringEndMask(x uint64, trusted bool) uint64 {
	m := eqMask(x, '"') | eqMask(x, '\\')
	if !trusted {
		m |= lessMask(x, 0x20)
	}
	return m
}

// indexNeedsEscape is the index of the first byte of s that AppendString
// cannot copy as it is ('"', '\\', a control character, or a non-ASCII
// byte, which is checked for valid UTF-8), or len(s).
func indexNeedsEscape(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if m := escapeMask(loadString64(s[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	rest := len(s) - i
	if rest > 0 && len(s) >= 8 {
		m := escapeMask(loadString64(s[len(s)-8:])>>(8*(8-rest))) & (1<<(8*rest) - 1)
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		return len(s)
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
	}
	return len(s)
}

func loadString64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func escapeMask(x uint64) uint64 {
	return eqMask(x, '"') | eqMask(x, '\\') | lessMask(x, 0x20) | x&msb
}
