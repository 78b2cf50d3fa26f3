// Command redact is a Sluice plugin in Go that keeps personal data out:
//
//   - on_request refuses a prompt that carries a payment card number (13
//     to 19 digits, spaces or dashes between them allowed, that pass the
//     Luhn check), with a 400 that never repeats the number;
//   - on_response and on_chunk replace e-mail addresses in answers, whole
//     or streamed, with [EMAIL], like examples/scripts/redact_emails.lua.
//
// A chunk hook sees one text delta at a time: an address that the model
// happens to emit across two deltas is not caught. Redaction that must
// never miss belongs in a guard that buffers across deltas.
//
// Build it (any Go 1.24 or later):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o redact.wasm .
package main

import "github.com/sluicegw/sluice/wasmhost/guest"

func main() {}

func init() {
	guest.OnRequest(blockCards, guest.FieldSystem, guest.FieldMessages)
	guest.OnResponse(func(_ *guest.Request, res *guest.Response) error {
		res.Content = redactEmails(res.Content)
		return nil
	}, guest.NoFields)
	// A chunk hook runs for every streamed delta: it asks for none of the
	// request, so the host does not copy the prompt into it each time.
	guest.OnChunk(func(_ *guest.Request, chunk *guest.Chunk) error {
		chunk.Text = redactEmails(chunk.Text)
		return nil
	}, guest.NoFields)
}

func blockCards(req *guest.Request) error {
	texts := []string{req.System}
	for _, m := range req.Messages {
		texts = append(texts, m.Content)
		for _, p := range m.Parts {
			if p.Type == "text" {
				texts = append(texts, p.Text)
			}
		}
	}
	for _, text := range texts {
		if hasCardNumber(text) {
			guest.Log(guest.LevelWarn, "refused a prompt with a card number")
			return guest.Deny(400, "The prompt contains what looks like a payment card number; remove it and try again.")
		}
	}
	return nil
}
