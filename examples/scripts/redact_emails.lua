-- Redact e-mail addresses in answers, streamed or whole.
--
-- A chunk hook sees one text delta at a time: an address that the model
-- happens to emit across two deltas is not caught here. Redaction that must
-- never miss belongs in a guard that buffers across deltas; this script
-- shows the hooks.
--
--   script examples/scripts/redact_emails.lua

local EMAIL = "[%w%._%%%+%-]+@[%w%-]+%.[%w%.%-]*%a"

function on_chunk(req, chunk)
  chunk.text = string.gsub(chunk.text, EMAIL, "[EMAIL]")
end

function on_response(req, res)
  res.content = string.gsub(res.content, EMAIL, "[EMAIL]")
end
