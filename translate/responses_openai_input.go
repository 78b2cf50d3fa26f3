package translate

import (
	"strconv"

	"github.com/sluicegw/sluice/apierror"
	"github.com/tidwall/gjson"
)

// input writes the Responses input (a string, or a list of items) as chat
// messages.
func (w *responsesWriter) input(in gjson.Result) *apierror.Error {
	if in.Type == gjson.String {
		w.startMessage("user")
		w.out = append(w.out, in.Raw...)
		w.out = append(w.out, '}')
		return nil
	}
	var err *apierror.Error
	i := 0
	forEach(in, func(_, item gjson.Result) bool {
		err = w.item(i, item)
		i++
		return err == nil
	})
	if err != nil {
		return err
	}
	if i == 0 {
		return invalid("input", "must hold at least one item.")
	}
	w.flushAssistant()
	w.flushMedia()
	if w.nmsg == 0 {
		return invalid("input", "nothing to send; the input holds only reasoning items.")
	}
	return nil
}

// itemAt names input item i, for error messages.
func itemAt(i int) string { return "input[" + strconv.Itoa(i) + "]" }

// partLoc is where a content part sits: input[i].content[j] or
// input[i].output[j]. It becomes a string only when there is an error.
type partLoc struct {
	i, j int
	list string // "content" or "output"
}

func (l partLoc) errorf(field, format string, args ...any) *apierror.Error {
	return invalid(itemAt(l.i)+"."+l.list+"["+strconv.Itoa(l.j)+"]"+field, format, args...)
}

// item writes input item i.
func (w *responsesWriter) item(i int, item gjson.Result) *apierror.Error {
	if !item.IsObject() {
		return invalid(itemAt(i), "must be an input item object, got %s.", typeName(item))
	}
	var typ, role, content, callID, name, args, output gjson.Result
	forEach(item, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "role":
			role = v
		case "content":
			content = v
		case "call_id":
			callID = v
		case "name":
			name = v
		case "arguments":
			args = v
		case "output":
			output = v
		}
		return true
	})
	kind := "message" // a bare {"role","content"} is a message
	if set(typ) {
		if typ.Type != gjson.String {
			return invalid(itemAt(i)+".type", "must be a string, got %s.", typeName(typ))
		}
		kind = typ.Str
	} else if !role.Exists() {
		return invalid(itemAt(i)+".type", "field required (or a role, for a message).")
	}
	switch kind {
	case "message":
		return w.message(i, role, content)
	case "function_call":
		return w.functionCall(i, callID, name, args)
	case "function_call_output":
		return w.functionOutput(i, callID, output)
	case "reasoning":
		return nil // dropped: see ResponsesRequestToOpenAI
	case "item_reference":
		return invalid(itemAt(i)+".type", "item references are not supported: this gateway is stateless and keeps no items; send the item itself.")
	}
	return invalid(itemAt(i)+".type", "input item type %s is not supported; this gateway translates message, function_call, function_call_output and reasoning items (calls of OpenAI's built-in tools cannot run on its chat completions upstreams).", typ.Raw)
}

// message writes a message item.
func (w *responsesWriter) message(i int, role, content gjson.Result) *apierror.Error {
	if role.Type != gjson.String {
		return invalid(itemAt(i)+".role", "field required (a string).")
	}
	chatRole := role.Str
	switch role.Str {
	case "user", "system", "assistant":
	case "developer":
		chatRole = "system"
	default:
		return invalid(itemAt(i)+".role", "must be \"user\", \"assistant\", \"system\" or \"developer\", got %s.", role.Raw)
	}
	if content.Type != gjson.String && !content.IsArray() {
		return invalid(itemAt(i)+".content", "must be a string or a list of content parts, got %s.", typeName(content))
	}
	if chatRole == "assistant" {
		return w.assistant(i, content)
	}
	w.flushAssistant()
	w.flushMedia()
	if content.Type == gjson.String {
		w.startMessage(chatRole)
		w.out = append(w.out, content.Raw...)
		w.out = append(w.out, '}')
		return nil
	}
	if err := w.contentParts(i, chatRole, content); err != nil {
		return err
	}
	if w.nparts == 0 {
		return invalid(itemAt(i)+".content", "must not be empty.")
	}
	w.startMessage(chatRole)
	w.out = w.appendParts(w.out)
	w.out = append(w.out, '}')
	return nil
}

// assistant starts a pending assistant message with the content of an
// assistant message item. A pending message that already has content is
// written first; one that has only tool calls takes the content.
func (w *responsesWriter) assistant(i int, content gjson.Result) *apierror.Error {
	w.flushMedia()
	if w.pending && len(w.asst) > 0 {
		w.flushAssistant()
	}
	if content.Type == gjson.String {
		w.pending = true
		w.asst = append(w.asst[:0], content.Raw...)
		return nil
	}
	if err := w.contentParts(i, "assistant", content); err != nil {
		return err
	}
	if w.nparts == 0 {
		return nil // empty: nothing to say
	}
	w.pending = true
	w.asst = w.appendParts(w.asst[:0])
	return nil
}

// functionCall adds a function_call item to the pending assistant message.
func (w *responsesWriter) functionCall(i int, callID, name, args gjson.Result) *apierror.Error {
	switch {
	case callID.Type != gjson.String || callID.Str == "":
		return invalid(itemAt(i)+".call_id", "must be a non-empty string, got %s.", typeName(callID))
	case name.Type != gjson.String || name.Str == "":
		return invalid(itemAt(i)+".name", "must be a non-empty string, got %s.", typeName(name))
	case args.Type != gjson.String:
		return invalid(itemAt(i)+".arguments", "must be a string (the call's arguments as JSON text), got %s.", typeName(args))
	}
	w.flushMedia()
	w.pending = true
	if w.ncalls > 0 {
		w.calls = append(w.calls, ',')
	}
	w.ncalls++
	w.calls = append(w.calls, `{"id":`...)
	w.calls = append(w.calls, callID.Raw...)
	w.calls = append(w.calls, `,"type":"function","function":{"name":`...)
	w.calls = append(w.calls, name.Raw...)
	w.calls = append(w.calls, `,"arguments":`...)
	w.calls = append(w.calls, args.Raw...)
	w.calls = append(w.calls, "}}"...)
	return nil
}

// flushAssistant writes the pending assistant message, if any.
func (w *responsesWriter) flushAssistant() {
	if !w.pending {
		return
	}
	w.startMessage("assistant")
	if len(w.asst) > 0 {
		w.out = append(w.out, w.asst...)
	} else {
		w.out = append(w.out, "null"...)
	}
	if w.ncalls > 0 {
		w.out = append(w.out, `,"tool_calls":[`...)
		w.out = append(w.out, w.calls...)
		w.out = append(w.out, ']')
	}
	w.out = append(w.out, '}')
	w.pending, w.asst, w.calls, w.ncalls = false, w.asst[:0], w.calls[:0], 0
}

// flushMedia writes the images and files of the tool outputs so far as a
// user message.
func (w *responsesWriter) flushMedia() {
	if w.nmedia == 0 {
		return
	}
	w.startMessage("user")
	w.out = append(w.out, '[')
	w.out = append(w.out, w.media...)
	w.out = append(w.out, "]}"...)
	w.media, w.nmedia = w.media[:0], 0
}

// functionOutput writes a function_call_output item as a tool message.
func (w *responsesWriter) functionOutput(i int, callID, output gjson.Result) *apierror.Error {
	if callID.Type != gjson.String || callID.Str == "" {
		return invalid(itemAt(i)+".call_id", "must be a non-empty string, got %s.", typeName(callID))
	}
	if output.Type != gjson.String && !output.IsArray() {
		return invalid(itemAt(i)+".output", "must be a string or a list of content parts, got %s.", typeName(output))
	}
	w.flushAssistant()
	if w.nmsg > 0 {
		w.out = append(w.out, ',')
	}
	w.nmsg++
	w.out = append(w.out, `{"role":"tool","tool_call_id":`...)
	w.out = append(w.out, callID.Raw...)
	w.out = append(w.out, `,"content":`...)
	if output.Type == gjson.String {
		w.out = append(w.out, output.Raw...)
		w.out = append(w.out, '}')
		return nil
	}
	w.out = append(w.out, '"')
	var err *apierror.Error
	j, texts := 0, 0
	forEach(output, func(_, p gjson.Result) bool {
		at := partLoc{i, j, "output"}
		j++
		if !p.IsObject() {
			err = at.errorf("", "must be a content part object, got %s.", typeName(p))
			return false
		}
		t := p.Get("type")
		switch t.Str {
		case "input_text", "output_text":
			text := p.Get("text")
			if text.Type != gjson.String {
				err = at.errorf(".text", "must be a string, got %s.", typeName(text))
				return false
			}
			if texts > 0 {
				w.out = append(w.out, `\n`...)
			}
			texts++
			w.out = append(w.out, inner(text.Raw)...)
		case "input_image", "input_file":
			if w.nmedia > 0 {
				w.media = append(w.media, ',')
			}
			w.nmedia++
			w.media, err = appendMediaPart(w.media, at, t.Str, p)
		default:
			err = at.errorf(".type", "function_call_output content type %s is not supported; use input_text, input_image or input_file parts.", t.Raw)
		}
		return err == nil
	})
	w.out = append(w.out, `"}`...)
	return err
}

// contentParts builds the content parts of message i into w.parts.
func (w *responsesWriter) contentParts(i int, role string, content gjson.Result) *apierror.Error {
	w.parts, w.nparts, w.oneText, w.nonText = w.parts[:0], 0, "", false
	var err *apierror.Error
	j := 0
	forEach(content, func(_, p gjson.Result) bool {
		at := partLoc{i, j, "content"}
		j++
		if !p.IsObject() {
			err = at.errorf("", "must be a content part object, got %s.", typeName(p))
			return false
		}
		t := p.Get("type")
		if t.Type != gjson.String {
			err = at.errorf(".type", "field required (a string).")
			return false
		}
		var text gjson.Result
		switch t.Str {
		case "input_text", "output_text":
			text = p.Get("text")
			if text.Type != gjson.String {
				err = at.errorf(".text", "must be a string, got %s.", typeName(text))
				return false
			}
		case "refusal":
			if role != "assistant" {
				err = at.errorf(".type", "refusal parts are only allowed in assistant messages.")
				return false
			}
			text = p.Get("refusal")
			if text.Type != gjson.String {
				err = at.errorf(".refusal", "must be a string, got %s.", typeName(text))
				return false
			}
		case "input_image", "input_file":
			if role != "user" {
				err = at.errorf(".type", "%s parts are only allowed in user messages.", t.Str)
				return false
			}
			if w.nparts > 0 {
				w.parts = append(w.parts, ',')
			}
			w.nparts++
			w.nonText = true
			w.parts, err = appendMediaPart(w.parts, at, t.Str, p)
			return err == nil
		default:
			err = at.errorf(".type", "content part type %s is not supported; this gateway translates input_text, input_image, input_file, output_text and refusal parts.", t.Raw)
			return false
		}
		if w.nparts > 0 {
			w.parts = append(w.parts, ',')
		}
		w.nparts++
		w.oneText = text.Raw
		w.parts = append(w.parts, `{"type":"text","text":`...)
		w.parts = append(w.parts, text.Raw...)
		w.parts = append(w.parts, '}')
		return true
	})
	return err
}

// appendParts appends the content built by contentParts: a plain string
// for a single text part, else the list of parts.
func (w *responsesWriter) appendParts(b []byte) []byte {
	if w.nparts == 1 && !w.nonText {
		return append(b, w.oneText...)
	}
	b = append(b, '[')
	b = append(b, w.parts...)
	return append(b, ']')
}

// appendMediaPart appends an input_image part as an image_url part, or an
// input_file part as a file part.
func appendMediaPart(b []byte, at partLoc, typ string, p gjson.Result) ([]byte, *apierror.Error) {
	var url, fileID, detail, data, fileURL, filename gjson.Result
	forEach(p, func(k, v gjson.Result) bool {
		switch k.Str {
		case "image_url":
			url = v
		case "file_id":
			fileID = v
		case "detail":
			detail = v
		case "file_data":
			data = v
		case "file_url":
			fileURL = v
		case "filename":
			filename = v
		}
		return true
	})
	if typ == "input_image" {
		switch {
		case url.Type == gjson.String && url.Str != "":
		case set(fileID):
			return b, at.errorf(".file_id", "images by file_id are not supported: this gateway holds no files; send the image as image_url (an https or data: URL).")
		default:
			return b, at.errorf(".image_url", "must be a non-empty string (an https or data: URL), got %s.", typeName(url))
		}
		b = append(b, `{"type":"image_url","image_url":{"url":`...)
		b = append(b, url.Raw...)
		if detail.Type == gjson.String && (detail.Str == "low" || detail.Str == "high" || detail.Str == "auto") {
			b = append(b, `,"detail":`...)
			b = append(b, detail.Raw...)
		}
		return append(b, "}}"...), nil
	}
	switch {
	case data.Type == gjson.String && data.Str != "":
	case set(fileID):
		return b, at.errorf(".file_id", "files by file_id are not supported: this gateway holds no files; send the file's content as file_data.")
	case set(fileURL):
		return b, at.errorf(".file_url", "files by file_url are not supported by chat completions upstreams; send the file's content as file_data.")
	default:
		return b, at.errorf(".file_data", "must be a non-empty string (the file as a data: URL), got %s.", typeName(data))
	}
	if set(filename) && filename.Type != gjson.String {
		return b, at.errorf(".filename", "must be a string, got %s.", typeName(filename))
	}
	b = append(b, `{"type":"file","file":{`...)
	if filename.Type == gjson.String {
		b = append(b, `"filename":`...)
		b = append(b, filename.Raw...)
		b = append(b, ',')
	}
	b = append(b, `"file_data":`...)
	b = append(b, data.Raw...)
	return append(b, "}}"...), nil
}
