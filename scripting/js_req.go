package scripting

import (
	"github.com/dop251/goja"
)

// jsReq is req in JavaScript: a goja dynamic object over the Go Request
// that builds each field on first read and records what the hook assigned.
// Once its call is over (vm == nil) it reads as empty.
type jsReq struct {
	vm       *jsVM
	r        *Request
	vals     [nReqFields]goja.Value // built or assigned; nil: not built, or deleted
	assigned fieldSet
	extra    map[string]goja.Value // other properties the hook added
}

func (q *jsReq) Get(key string) goja.Value {
	if q.vm == nil {
		return nil
	}
	id := reqFieldID(key)
	if id < 0 {
		return q.extra[key]
	}
	if v := q.vals[id]; v != nil || q.assigned.has(id) {
		return v
	}
	v := q.build(id)
	q.vals[id] = v
	return v
}

func (q *jsReq) Set(key string, val goja.Value) bool {
	if q.vm == nil {
		return false
	}
	if id := reqFieldID(key); id >= 0 {
		q.vals[id] = val
		q.assigned |= 1 << id
		return true
	}
	if q.extra == nil {
		q.extra = make(map[string]goja.Value)
	}
	q.extra[key] = val
	return true
}

func (q *jsReq) Has(key string) bool { return q.Get(key) != nil }

func (q *jsReq) Delete(key string) bool {
	if id := reqFieldID(key); id >= 0 {
		q.vals[id] = nil
		q.assigned |= 1 << id
	} else {
		delete(q.extra, key)
	}
	return true
}

func (q *jsReq) Keys() []string {
	if q.vm == nil {
		return nil
	}
	keys := make([]string, 0, nReqFields+len(q.extra))
	for _, name := range reqFieldNames {
		if q.Has(name) {
			keys = append(keys, name)
		}
	}
	for k := range q.extra {
		keys = append(keys, k)
	}
	return keys
}

// build makes the JavaScript value of a field; nil for an absent number.
func (q *jsReq) build(id int) goja.Value {
	rt, r := q.vm.rt, q.r
	switch id {
	case fModel:
		return rt.ToValue(r.Model)
	case fSystem:
		return rt.ToValue(r.System)
	case fMessages:
		items := make([]any, len(r.Messages))
		for i := range r.Messages {
			items[i] = q.vm.message(&r.Messages[i])
		}
		return rt.NewArray(items...)
	case fTools:
		items := make([]any, len(r.Tools))
		for i := range r.Tools {
			t := &r.Tools[i]
			o := rt.NewObject()
			_ = o.Set("name", t.Name)
			_ = o.Set("description", t.Description)
			_ = o.Set("parameters", q.vm.toJS(t.Parameters, 0))
			items[i] = o
		}
		return rt.NewArray(items...)
	case fMaxTokens:
		if r.MaxTokens != nil {
			return rt.ToValue(*r.MaxTokens)
		}
	case fTemperature:
		if r.Temperature != nil {
			return rt.ToValue(*r.Temperature)
		}
	case fTopP:
		if r.TopP != nil {
			return rt.ToValue(*r.TopP)
		}
	case fStream:
		return rt.ToValue(r.Stream)
	case fConsumer:
		o := rt.NewObject()
		_ = o.Set("name", r.Consumer.Name)
		_ = o.Set("metadata", q.vm.stringMap(r.Consumer.Metadata))
		return o
	case fHeaders:
		return q.vm.stringMap(r.Headers)
	case fClientIP:
		return rt.ToValue(r.ClientIP)
	case fEstimated:
		return rt.ToValue(r.EstimatedInputTokens)
	case fMetadata:
		return q.vm.stringMap(r.Metadata)
	}
	return nil
}

// readBack copies on_request's changes to the fields it may change into
// the Request, all or (on error) nothing: assigned fields, and the
// objects it read (it may have changed them in place).
func (q *jsReq) readBack() error {
	out := *q.r
	r := &out
	var err error
	if q.assigned.has(fModel) {
		if r.Model, err = jsStr(q.vals[fModel], "req.model", false); err != nil {
			return err
		}
	}
	if q.assigned.has(fSystem) {
		if r.System, err = jsStr(q.vals[fSystem], "req.system", true); err != nil {
			return err
		}
	}
	if q.assigned.has(fMaxTokens) {
		f, set, err := jsOptNumber(q.vals[fMaxTokens], "req.max_tokens")
		if err != nil {
			return err
		}
		r.MaxTokens = nil
		if set {
			n, err := toInt(f, "req.max_tokens")
			if err != nil {
				return err
			}
			r.MaxTokens = &n
		}
	}
	if q.assigned.has(fTemperature) {
		if r.Temperature, err = jsOptFloat(q.vals[fTemperature], "req.temperature"); err != nil {
			return err
		}
	}
	if q.assigned.has(fTopP) {
		if r.TopP, err = jsOptFloat(q.vals[fTopP], "req.top_p"); err != nil {
			return err
		}
	}
	if q.touched(fMessages) {
		if r.Messages, err = readJSMessages(q.vals[fMessages]); err != nil {
			return err
		}
	}
	if q.touched(fTools) {
		if r.Tools, err = readJSTools(q.vals[fTools]); err != nil {
			return err
		}
	}
	if q.touched(fMetadata) {
		m, err := jsStringMap(q.vals[fMetadata], "req.metadata")
		if err != nil {
			return err
		}
		if len(m) == 0 && len(r.Metadata) == 0 {
			m = r.Metadata
		}
		r.Metadata = m
	}
	*q.r = out
	return nil
}

func (q *jsReq) touched(id int) bool { return q.vals[id] != nil || q.assigned.has(id) }

// jsChunk is chunk in JavaScript: a dynamic object over the Go Chunk, the
// cheapest object to make once per streamed delta.
type jsChunk struct {
	vm         *jsVM
	c          *Chunk
	text, drop goja.Value // nil: not read or assigned yet
	extra      map[string]goja.Value
}

func (k *jsChunk) Get(key string) goja.Value {
	switch {
	case k.vm == nil:
		return nil
	case key == "text":
		if k.text == nil {
			k.text = k.vm.rt.ToValue(k.c.Text)
		}
		return k.text
	case key == "drop":
		if k.drop == nil {
			k.drop = k.vm.rt.ToValue(k.c.Drop)
		}
		return k.drop
	}
	return k.extra[key]
}

func (k *jsChunk) Set(key string, val goja.Value) bool {
	switch {
	case k.vm == nil:
		return false
	case key == "text":
		k.text = val
	case key == "drop":
		k.drop = val
	default:
		if k.extra == nil {
			k.extra = make(map[string]goja.Value)
		}
		k.extra[key] = val
	}
	return true
}

func (k *jsChunk) Has(key string) bool { return k.Get(key) != nil }

func (k *jsChunk) Delete(key string) bool {
	switch key {
	case "text":
		k.text = goja.Undefined()
	case "drop":
		k.drop = goja.Undefined()
	default:
		delete(k.extra, key)
	}
	return true
}

func (k *jsChunk) Keys() []string {
	keys := []string{"text", "drop"}
	for key := range k.extra {
		keys = append(keys, key)
	}
	return keys
}

// readBack copies the hook's changes into the Chunk.
func (k *jsChunk) readBack() error {
	text := k.c.Text
	if k.text != nil {
		s, ok := k.text.(goja.String)
		if !ok {
			return shapeError("chunk.text must be a string, got %s", jsType(k.text))
		}
		text = s.String()
	}
	k.c.Text = text
	if k.drop != nil {
		k.c.Drop = k.drop.ToBoolean()
	}
	return nil
}
