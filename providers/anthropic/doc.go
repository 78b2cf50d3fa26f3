// Package anthropic is the provider for Anthropic's Messages API, the
// `anthropic` provider type. The gateway speaks OpenAI chat completions
// inside; this provider translates each call into a Messages request, and
// the answer, stream or error back into what an OpenAI upstream would have
// sent, so every client the gateway serves (OpenAI and Anthropic SDKs
// alike) can use Claude models.
//
// # Caddyfile
//
//	provider claude {
//		type anthropic
//		base_url https://api.anthropic.com   # the default; a trailing /v1 is accepted too
//		api_key {env.ANTHROPIC_API_KEY}       # sent as x-api-key; may repeat (rotated, cooled down on 429)
//		header anthropic-beta some-beta-2025-01-01   # optional extra headers
//		timeout 120s
//	}
//	model claude-sonnet {
//		target claude/claude-sonnet-4-5
//	}
//
// Calls go to POST {base_url}/v1/messages with the headers x-api-key and
// anthropic-version: 2023-06-01. A `header anthropic-version ...` replaces
// that version; with any other version temperature and top_p are not sent,
// as API version 2026-10-21 rejects them.
//
// # Requests: OpenAI to Anthropic
//
//   - system and developer messages, wherever they stand, become the system
//     prompt, joined with a blank line.
//   - The other messages alternate between user and assistant: consecutive
//     messages of one role are merged into one turn, and a message left
//     with no content is dropped (Anthropic rejects empty content). A
//     request left with no message at all is refused.
//   - User content: text parts; image_url parts (data: URLs as base64
//     images, http(s) URLs as url images); file parts holding a PDF as
//     file_data become documents.
//   - Assistant messages: text (or the refusal, when there is no text),
//     then tool_calls as tool_use blocks whose input is the parsed
//     arguments (empty arguments are {}; arguments that are not a JSON
//     object are refused with 400).
//   - tool messages become tool_result blocks in a user turn; consecutive
//     ones (parallel tool calls) share one turn, and a user message that
//     follows joins it after the results. Tool call ids with characters
//     Anthropic does not allow have them replaced by "_", the same way in
//     the tool_use and its tool_result.
//   - tools become tools with input_schema = parameters (an empty object
//     schema when there are none); strict: true is kept.
//   - tool_choice auto, none, required and {"type":"function",...} become
//     auto, none, any and tool; parallel_tool_calls: false becomes
//     disable_parallel_tool_use. Without tools, tool_choice is dropped.
//   - max_completion_tokens, else max_tokens, becomes max_tokens, which
//     Anthropic requires: without either, DefaultMaxTokens (4096) is sent,
//     plus the thinking budget when reasoning is on.
//   - stop (a string or a list) becomes stop_sequences; empty strings are
//     dropped.
//   - temperature is capped at 1 (Anthropic's range is 0 to 1, OpenAI's 0
//     to 2). Current Claude models reject temperature and top_p together,
//     so top_p is sent only without temperature.
//   - user becomes metadata.user_id.
//   - response_format json_schema becomes output_config.format
//     {"type":"json_schema","schema":...} (structured outputs).
//   - reasoning_effort turns thinking on. For Claude 4.6 and later (read
//     from the model id: the budget form is deprecated on 4.6 and rejected
//     from 4.7) it becomes thinking {"type":"adaptive"} with
//     output_config.effort: minimal and low are low, medium medium, high
//     high, xhigh xhigh. For older models and ids without a Claude version
//     it becomes thinking {"type":"enabled","budget_tokens":N} with N 1024
//     (minimal), 2048 (low), 8192 (medium), 16384 (high) or 32768 (xhigh),
//     capped at half of the client's max tokens (OpenAI counts reasoning in
//     them, as Anthropic counts thinking in max_tokens). none leaves
//     thinking off. With thinking on, temperature is not sent and top_p
//     only from 0.95 to 1, as Anthropic requires.
//   - Thinking stays off, whatever reasoning_effort says, where Anthropic
//     would reject it: a tool_choice that forces a tool; a conversation that
//     continues a tool-using turn (it ends with tool results) or ends with
//     an assistant message, since Anthropic then wants the turn's own
//     thinking blocks back and OpenAI messages cannot carry them; and a
//     budget that would fall under Anthropic's minimum of 1024.
//
// Refused with 400 (an OpenAI error naming the field), because dropping
// them would change what the client gets: n above 1; the legacy functions
// and function_call; modalities other than text; web_search_options;
// tools other than function tools; tool_choice allowed_tools; content
// parts other than text, image_url and file (input_audio...); files given
// by file_id or that are not PDF; image URLs that are neither http(s) nor
// base64 data: URLs; tool messages without tool_call_id; the role
// "function".
//
// Dropped, having no Anthropic counterpart: response_format json_object
// (OpenAI already requires the prompt to ask for JSON); frequency_penalty,
// presence_penalty, logit_bias, logprobs and top_logprobs, seed,
// service_tier, store, metadata, prediction, audio, message names, and any
// unknown field. stream_options is not needed: usage always comes.
//
// # Answers: Anthropic to OpenAI
//
// A Message becomes a chat.completion with the Message's id and model and
// the time of the answer as created. Text blocks joined are the content
// (null when there is none and there are tool calls); tool_use blocks are
// tool_calls with arguments the compact JSON of input; thinking text goes
// into message.reasoning_content (the field DeepSeek and vLLM use), never
// into content. Redacted thinking and server tool blocks are dropped.
//
// stop_reason end_turn, stop_sequence and pause_turn become finish_reason
// stop; max_tokens and model_context_window_exceeded length; tool_use
// tool_calls; refusal content_filter.
//
// Usage: prompt_tokens = input_tokens + cache_read_input_tokens +
// cache_creation_input_tokens (Anthropic's input_tokens leave out the
// cache), prompt_tokens_details.cached_tokens = cache_read_input_tokens,
// completion_tokens = output_tokens. Anthropic does not say how many output
// tokens were thinking, so completion_tokens_details.reasoning_tokens is
// not reported.
//
// # Streams
//
// Events are translated one at a time as they arrive: message_start gives
// the first chunk (delta role "assistant"); text deltas content deltas;
// thinking deltas reasoning_content deltas; a tool_use block start a
// tool_calls delta with index, id and function name, and each
// input_json_delta an arguments fragment (a tool call whose arguments never
// came gets "{}"); message_delta's stop reason and cumulative usage are
// kept; message_stop gives the finish chunk, the usage chunk and
// data: [DONE]. ping, signature_delta, citations_delta and unknown events
// give nothing. An error event, a stream that ends before message_stop, or
// an event that is not JSON fails the read with a message saying so.
//
// # Errors
//
// An error status is kept, with an OpenAI error body holding Anthropic's
// message, and Retry-After kept. Anthropic's error type gives the OpenAI
// type and code: invalid_request_error invalid_request, authentication_error
// invalid_api_key, permission_error permission_denied, not_found_error
// not_found, request_too_large request_too_large, rate_limit_error
// rate_limit_exceeded, billing_error insufficient_quota, api_error
// upstream_error, overloaded_error overloaded, timeout_error
// upstream_timeout. Anthropic's 529 (overloaded), a status HTTP does not
// define, becomes 503, which every client library and proxy treats as
// "unavailable, try again": the gateway retries and fails over on it like
// any 5xx, and clients of the gateway's Anthropic endpoint see a 503
// api_error. An answer the provider cannot read becomes a 502.
package anthropic
