// Package gemini is the provider for Google's Gemini API (Google AI Studio
// keys): the `gemini` provider type. Clients keep speaking OpenAI's chat
// completions (or Anthropic's Messages, which the gateway turns into chat
// completions first); this provider translates each call to Gemini's
// generateContent and the answer back, streamed or not.
//
// # Caddyfile
//
//	provider google {
//		type gemini
//		api_key {env.GEMINI_API_KEY}      # may repeat: rotated, cooled down on 429 and on a refused key
//		# base_url https://generativelanguage.googleapis.com   (the default; the provider adds /v1beta/...)
//		# header X-Goog-User-Project my-project
//		# timeout 60s
//	}
//	model gemini-flash {
//		target google/gemini-2.5-flash
//	}
//
// The key goes in the x-goog-api-key header, never in the URL (where it
// would reach access logs). A call goes to
// {base_url}/v1beta/models/{model}:generateContent, or
// :streamGenerateContent?alt=sse for a stream. A target model written
// models/NAME or tunedModels/NAME keeps its collection.
//
// # The request
//
//   - system and developer messages become systemInstruction (their texts
//     as parts, in order, wherever they stood in the conversation: Gemini
//     has one system instruction).
//   - user and assistant messages become "user" and "model" turns; adjacent
//     messages of one role make one turn.
//   - Content parts: text; image_url with a data: URL becomes inlineData
//     (its media type and base64 data); image_url with an http(s):// or
//     gs:// URL becomes fileData, which Gemini fetches itself (public and
//     signed URLs, Cloud Storage, uploaded files), its mimeType guessed from
//     the file extension (png, jpg, webp, gif, heic, heif, pdf) and left out
//     otherwise; input_audio becomes inlineData audio/FORMAT; a file part
//     with file_data (a data: URL, or base64 with a file name whose
//     extension says the type) becomes inlineData. OpenAI file ids mean
//     nothing to Gemini: 400.
//   - Assistant tool_calls become functionCall parts (arguments parsed as
//     the args object; they must be a JSON object). "tool" messages become
//     functionResponse parts named after the function of the earlier call
//     with that tool_call_id (Gemini matches results by name and order);
//     consecutive results (parallel calls) share one turn. A result that is
//     a JSON object is the response itself; any other text becomes
//     {"output": TEXT}.
//   - Thought signatures: Gemini 3 signs its function calls and refuses a
//     conversation that does not send the signature back. The provider
//     carries it inside the tool call id it gives the client (see
//     toolcall_id.go), so it returns with the client's history. For a
//     history whose calls carry none (made by another provider), the first
//     call of the turn gets Google's documented
//     "skip_thought_signature_validator" instead, except for Gemini 1.x and
//     2.x (and Gemma) models, which need none.
//   - tools (function tools) become one tool of functionDeclarations; each
//     JSON Schema is rewritten to Gemini's OpenAPI subset (schema.go lists
//     the keywords kept, changed and dropped; local $refs are inlined); a
//     function without properties is declared without parameters.
//     tool_choice: auto AUTO, none NONE, required ANY, a named function ANY
//     with allowedFunctionNames, allowed_tools ANY with their names (mode
//     required) or AUTO over only those tools (mode auto).
//   - max_completion_tokens (else max_tokens) becomes maxOutputTokens;
//     temperature, top_p, seed, presence_penalty and frequency_penalty their
//     namesakes; stop (a string or a list) stopSequences; n candidateCount.
//   - response_format json_object becomes responseMimeType
//     application/json; json_schema adds the rewritten schema as
//     responseSchema.
//   - reasoning_effort becomes thinkingConfig: for Gemini 1.x and 2.x (and
//     Gemma) models a thinkingBudget (none 0, minimal 512, low 1024, medium
//     8192, high 24576: the budgets of Google's own OpenAI-compatible
//     endpoint), for later models a thinkingLevel (none and minimal "minimal", low,
//     medium, high; xhigh "high"), since those models cannot switch thinking
//     off. A model that does not take a value answers with its own 400.
//     Thought summaries are not asked for (includeThoughts): the thinking
//     shows only as reasoning tokens.
//
// Dropped, as hints without a counterpart: logprobs and top_logprobs,
// logit_bias, parallel_tool_calls (Gemini decides), user, metadata, store,
// service_tier, prediction, verbosity, prompt_cache_key and
// safety_identifier, message names, image detail, a function's strict flag,
// stream_options (usage always comes). Refused with 400 naming the field:
// the deprecated functions and function_call, audio output (audio,
// modalities with "audio"), web_search_options, custom tools, content
// parts other than the ones above, and tool results that name no earlier
// tool call.
//
// # The answer
//
// Each candidate becomes a choice: its text parts (not thought summaries)
// the message content, its functionCall parts tool_calls, with ids
// "call_<responseId>_<n>" (or the call's own id when Gemini gives one) and
// the arguments the compact JSON of args. The id is "chatcmpl-" and the
// responseId; model is the answer's modelVersion. finish_reason: tool_calls
// when the candidate called a function; STOP stop; MAX_TOKENS length;
// SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII and the IMAGE_
// variants content_filter; anything else (OTHER, MALFORMED_FUNCTION_CALL,
// LANGUAGE...) stop.
//
// usage: prompt_tokens = promptTokenCount (which includes the cached part)
// + toolUsePromptTokenCount; completion_tokens = candidatesTokenCount +
// thoughtsTokenCount (OpenAI counts reasoning as completion);
// total_tokens = totalTokenCount; prompt_tokens_details.cached_tokens =
// cachedContentTokenCount; completion_tokens_details.reasoning_tokens =
// thoughtsTokenCount. An answer without usageMetadata has no usage, and
// the gateway counts the tokens itself.
//
// A prompt Gemini blocks (promptFeedback.blockReason, no candidates) is a
// 400 with code content_filter. In a stream, which has begun by then, it is
// an empty answer whose finish_reason is content_filter.
//
// Streams are translated event by event: a role chunk per candidate, each
// event's text as one content delta, each function call whole in one
// tool_calls delta (Gemini sends calls whole), a finish chunk per
// candidate, then, when the upstream ends, the usage chunk from the last
// (cumulative) usageMetadata and [DONE]. An upstream stream that ends
// before its candidates finished, or sends an error event, fails the read,
// and the gateway ends the client's stream with an error event.
//
// # Errors
//
// Google's {"error":{"code","message","status","details"}} becomes OpenAI's
// {"error":{"message","type","param","code"}} with the same HTTP status:
// the message kept, code Google's status word (INVALID_ARGUMENT,
// RESOURCE_EXHAUSTED, NOT_FOUND, ...), type from the status
// (invalid_request_error, rate_limit_error, not_found_error,
// server_error...). details are not passed on (a DebugInfo detail can quote
// the key that was sent); a RetryInfo retryDelay becomes Retry-After when
// the upstream sent no such header. Google answers a wrong key with 400
// API_KEY_INVALID: the provider treats it as the 401 it is, so the key is
// rested like any refused key and the client gets the gateway's 502.
package gemini
