// Package translate lets clients of Anthropic's Messages API (POST
// /v1/messages, as the Anthropic SDKs and Claude Code send it) use upstreams
// that speak OpenAI's chat completions API. Requests go one way
// ([AnthropicRequestToOpenAI]); answers, streamed events and errors come
// back the other ([OpenAIResponseToAnthropic], [OpenAIStreamToAnthropic],
// [OpenAIErrorToAnthropic]).
//
// # Requests: Anthropic to OpenAI
//
//   - system (a string, or text blocks joined with a blank line) becomes a
//     leading "system" message.
//   - messages keep their order. Content given as a string stays a string;
//     a list of blocks becomes content parts, except that a single text
//     block becomes a plain string.
//   - image blocks become image_url parts: a "base64" source as a data: URL
//     (data:<media_type>;base64,<data>), a "url" source as its URL.
//   - document blocks: a "base64" PDF becomes a file part (file_data as a
//     data: URL, filename "document.pdf"); a "text" document a text part.
//   - assistant tool_use blocks become the message's tool_calls (type
//     "function", arguments the compact JSON of input). An assistant message
//     with tool calls and no text has "content": null.
//   - user tool_result blocks become "tool" messages (tool_call_id =
//     tool_use_id), in the order given and before the rest of the user's
//     message. Their content is the string, or the texts of their text
//     blocks joined by newlines; is_error is noted as a leading "Error: ".
//     OpenAI tool messages cannot hold images, so a tool result's images
//     and documents go into the user message that follows, first.
//   - tools become function tools (parameters = input_schema; strict is
//     kept). tool_choice auto, any, tool and none become "auto", "required",
//     {"type":"function","function":{"name":...}} and "none";
//     disable_parallel_tool_use becomes "parallel_tool_calls": false. Without
//     tools both are left out, as OpenAI rejects them alone.
//   - max_tokens stays max_tokens (OpenAI's newer reasoning models want
//     max_completion_tokens, but chat completions still accepts max_tokens);
//     stop_sequences become stop; temperature and top_p pass as they are;
//     metadata.user_id becomes user; stream: true adds
//     "stream_options":{"include_usage":true}.
//   - output_config.format (structured outputs: a JSON schema) becomes
//     response_format {"type":"json_schema","json_schema":{"name":"output",
//     "schema":...}}.
//
// Validation follows what Anthropic requires: model and max_tokens present,
// messages a non-empty list, roles user or assistant, content a string or a
// non-empty list of known blocks, each in a role that may hold it (empty
// content is allowed only in a final assistant message, and left out).
// Anything else is a 400 invalid_request naming the field, e.g.
// "messages[2].content[0].type".
//
// Dropped, because OpenAI chat completions has no counterpart:
//
//   - top_k.
//   - thinking (and output_config.effort). OpenAI-shaped upstreams take
//     reasoning_effort instead, but non-reasoning models reject that field,
//     and the gateway cannot tell which kind of model an upstream serves, nor
//     is there a documented mapping from a token budget to low/medium/high.
//     thinking and redacted_thinking blocks in assistant messages are
//     dropped too: their content is only meaningful to Anthropic's models.
//   - cache_control everywhere: OpenAI caches prompt prefixes by itself, and
//     the hits come back as cache_read_input_tokens.
//   - citations settings, and the title and context of document blocks.
//   - service_tier, container, mcp_servers, context_management and other
//     top-level fields: ignored.
//
// Not supported (a 400 that says so, rather than a silently wrong answer):
// server tools (web search, code execution, bash, text editor...), and
// content blocks other than text, image, document, tool_use, tool_result,
// thinking and redacted_thinking; image and document sources of type "file",
// and documents by URL or as content blocks.
//
// Passed on unchecked, for the upstream to judge: more than the 4 stop
// sequences OpenAI takes (other OpenAI-compatible servers take more), image
// media types, and the JSON schemas of tools.
//
// Approximated: temperature is passed as is, though Anthropic's range is 0
// to 1 and OpenAI's 0 to 2. A final assistant message (Anthropic's
// "prefill", which the answer continues) reaches the upstream as an earlier
// assistant turn; most OpenAI-compatible models answer after it rather than
// continuing it.
//
// # Answers: OpenAI to Anthropic
//
// The first choice becomes a Message: its text a text block (when not
// empty; a refusal text when there is no content), then each tool call a
// tool_use block with the same id and its arguments parsed as input. The id
// is "msg_" and the completion id without its "chatcmpl-" prefix; model is
// the one the client asked for.
//
//   - stop_reason: finish_reason stop is "end_turn", length "max_tokens",
//     tool_calls "tool_use", content_filter "refusal". A "stop" that carries
//     tool calls is "tool_use", as some OpenAI-compatible servers finish tool
//     calls that way. OpenAI does not say which stop sequence matched, so a
//     stop caused by one is "end_turn" and stop_sequence is always null.
//   - usage: input_tokens = prompt_tokens − cached_tokens −
//     cache_write_tokens, cache_read_input_tokens = cached_tokens,
//     cache_creation_input_tokens = cache_write_tokens (both in
//     prompt_tokens_details; the writes are 0 when absent),
//     output_tokens = completion_tokens.
//   - Tool arguments that are not a JSON object (models can emit broken JSON)
//     give input {}: the call still reaches the client.
//   - Dropped: reasoning text some servers add (reasoning_content), logprobs,
//     choices other than the first, audio and annotations.
//
// # Streams
//
// [OpenAIStreamToAnthropic] turns chat.completion.chunk events into
// message_start, content_block_start / content_block_delta (text_delta,
// input_json_delta) / content_block_stop, message_delta and message_stop,
// as each chunk arrives. OpenAI streams report usage only in their last
// chunk, so message_start says input_tokens 0 and message_delta carries the
// real counts (input_tokens, cache_read_input_tokens, output_tokens), which
// Anthropic's SDKs take as the message's final usage. No ping events are
// sent. Tool arguments are passed on fragment by fragment as OpenAI sends
// them; their concatenation is whatever JSON the model wrote.
//
// # Errors
//
// [OpenAIErrorToAnthropic] keeps the upstream's message and picks the
// Anthropic error type from the status: 400 invalid_request_error, 401
// authentication_error, 402 billing_error, 403 permission_error, 404
// not_found_error, 413 request_too_large, 429 rate_limit_error, 503 and 529
// overloaded_error, 504 timeout_error, other 5xx api_error, other 4xx
// invalid_request_error.
package translate
