// Redact e-mail addresses in answers, streamed or whole.
//
// A chunk hook sees one text delta at a time: an address that the model
// happens to emit across two deltas is not caught here. Redaction that must
// never miss belongs in a guard that buffers across deltas; this script
// shows the hooks.
//
//   script examples/scripts/redact_emails.js

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z]/g;

function on_chunk(req, chunk) {
  chunk.text = chunk.text.replace(EMAIL, "[EMAIL]");
}

function on_response(req, res) {
  res.content = res.content.replace(EMAIL, "[EMAIL]");
}
