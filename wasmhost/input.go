package wasmhost

import (
	"fmt"

	"github.com/sluicegw/sluice/scripting"
)

// checkInput returns scripting.ErrInputTooLarge (wrapped) when the text
// handed to a hook, the request's plus extra (a response or a chunk),
// exceeds max. It counts exactly as package scripting does (whose function
// is unexported), so a request is refused by a Wasm plugin exactly when a
// Lua or JavaScript script would refuse it.
func checkInput(req *scripting.Request, extra string, max int) error {
	n := len(extra) + len(req.System) + len(req.Model)
	for i := range req.Messages {
		m := &req.Messages[i]
		n += len(m.Content) + len(m.Role)
		for _, p := range m.Parts {
			n += len(p.Text) + len(p.URL)
		}
		if n > max {
			break
		}
	}
	for i := range req.Tools {
		if n > max {
			break
		}
		t := &req.Tools[i]
		n += len(t.Name) + len(t.Description) + jsonSize(t.Parameters, max-n)
	}
	if n > max {
		return fmt.Errorf("%w: more than %d bytes of text", scripting.ErrInputTooLarge, max)
	}
	return nil
}

// jsonSize approximates the size of a decoded JSON value, stopping once it
// passes budget.
func jsonSize(v any, budget int) int {
	switch v := v.(type) {
	case string:
		return len(v) + 2
	case []byte:
		return len(v)
	case map[string]any:
		n := 2
		for k, e := range v {
			if n > budget {
				break
			}
			n += len(k) + 4 + jsonSize(e, budget-n)
		}
		return n
	case []any:
		n := 2
		for _, e := range v {
			if n > budget {
				break
			}
			n += 1 + jsonSize(e, budget-n)
		}
		return n
	case nil:
		return 4
	default:
		return 8
	}
}
