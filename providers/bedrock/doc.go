// Package bedrock is the provider for Amazon Bedrock's Converse API: the
// `bedrock` provider type. Clients keep speaking OpenAI's chat completions
// (or Anthropic's Messages, which the gateway turns into chat completions
// first); this package translates each call into a Converse request, sends
// it to POST {base_url}/model/{modelId}/converse (or /converse-stream), and
// translates the answer back, streamed answers event by event.
//
// # Caddyfile
//
//	provider aws {
//		type bedrock
//		region us-east-1                                  # default: $AWS_REGION, else $AWS_DEFAULT_REGION
//		access_key_id {env.AWS_ACCESS_KEY_ID}             # default: $AWS_ACCESS_KEY_ID
//		secret_access_key {env.AWS_SECRET_ACCESS_KEY}     # default: $AWS_SECRET_ACCESS_KEY
//		session_token {env.AWS_SESSION_TOKEN}             # default: $AWS_SESSION_TOKEN (with the environment's keys only)
//		# base_url https://bedrock-runtime.us-east-1.amazonaws.com   # the default for the region
//		timeout 120s
//	}
//	model claude-sonnet {
//		target aws/us.anthropic.claude-sonnet-4-5-20250929-v1:0
//	}
//
// The model of a target is the Bedrock model ID: a base model
// ("anthropic.claude-3-5-sonnet-20240620-v1:0"), an inference profile
// ("us.anthropic..."), or an ARN; it is escaped into one path segment as the
// AWS SDKs do.
//
// Calls are signed with AWS Signature Version 4 (service "bedrock", the
// region) by the AWS SDK for Go's signer. The credentials are static: the
// provider does not read ~/.aws, assume roles or refresh temporary
// credentials, so a session token must be replaced (and the config
// reloaded) before it expires. New fails, with a message that says what to
// set, when no key pair or no region is found.
//
// `api_key` is not an AWS credential. It holds Amazon Bedrock API keys
// (`api_key {env.AWS_BEARER_TOKEN_BEDROCK}`): with one or more, calls carry
// "Authorization: Bearer KEY" (rotated, and cooled down on 429, like every
// provider's keys) and are not signed, and the AWS key words are not needed.
// Only `base_url` or `region` is then required.
//
// # Requests: OpenAI chat completions to Converse
//
//   - system and developer messages become "system" text blocks, wherever
//     they stand in the conversation.
//   - user and assistant messages become Converse messages; consecutive
//     messages of one role are merged into one, as Bedrock wants the roles
//     to alternate. Empty texts are left out (Bedrock refuses blank text).
//   - image_url parts become image blocks when the URL is a base64 data:
//     URL of a png, jpeg, gif or webp; an https URL is refused with a 400
//     naming the field, since Bedrock takes image bytes only and the gateway
//     does not fetch URLs for clients. file parts with file_data (a data:
//     URL of a pdf, csv, doc, docx, xls, xlsx, html, txt or md) become
//     document blocks named after the file; a file_id is refused.
//   - assistant tool_calls become toolUse blocks (arguments parsed; arguments
//     that are not a JSON object become {}), and "tool" messages become
//     toolResult blocks (text content) of the user turn that follows, so
//     parallel calls' results share one turn.
//   - tools become toolSpec entries (parameters as inputSchema.json, {"type":
//     "object","properties":{}} when absent; strict kept). tool_choice auto,
//     required and a named function become toolChoice auto, any and tool.
//     Bedrock has no "none": with tool_choice none the tools are left out,
//     unless the history holds tool calls (Bedrock then requires toolConfig),
//     in which case they are sent without a choice. A history with tool
//     calls but no tools declared gets the called tools declared with any
//     input, for the same reason.
//   - max_completion_tokens (else max_tokens), temperature, top_p and stop
//     become inferenceConfig maxTokens, temperature, topP and stopSequences.
//   - response_format json_schema becomes outputConfig.textFormat (type
//     json_schema, the schema as a JSON string, name, description).
//   - reasoning_effort goes into additionalModelRequestFields, per model
//     family as read from the model ID: Anthropic Claude gets
//     {"thinking":{"type":"enabled","budget_tokens":N}} with N 1024 for
//     minimal, 2048 low, 8192 medium, 16384 high, 32768 xhigh, kept below
//     max tokens (and left out when less than 1024 would remain); without a
//     token limit, maxTokens becomes N + 8192. With thinking on, temperature
//     and top_p are dropped (Claude refuses them), and a turn that answers
//     tool results is sent without thinking (Claude would want the signed
//     thinking block of the calls back, which OpenAI clients do not keep).
//     Amazon Nova 2 gets
//     {"reasoningConfig":{"type":"enabled","maxReasoningEffort":...}} and
//     OpenAI gpt-oss {"reasoning_effort":...} (low, medium or high).
//     Other families, and "none", get nothing.
//
// Dropped, being hints Bedrock has no counterpart for: response_format
// json_object and text, parallel_tool_calls, user, metadata, store, seed,
// logprobs, frequency and presence penalties, logit_bias, service_tier,
// stream_options (the usage is always reported), and unknown fields.
//
// Refused with a 400 that names the field: n above 1, the deprecated
// functions field and function role, tools other than functions, content
// parts other than text, image_url and file (audio), non-text parts in
// system, assistant and tool messages, and an https image URL.
//
// # Answers: Converse to OpenAI
//
// The answer becomes a chat.completion with one choice: its text blocks
// joined as content (null when there are only tool calls), toolUse blocks as
// tool_calls (id = toolUseId, arguments = the input's JSON), and reasoning
// text as the message's reasoning_content (signatures and redacted
// reasoning are dropped: OpenAI clients cannot send them back). The id is
// "chatcmpl-" and Bedrock's request id; model is the model ID.
//
// stopReason end_turn and stop_sequence become finish_reason "stop",
// max_tokens and model_context_window_exceeded "length", tool_use
// "tool_calls", guardrail_intervened and content_filtered "content_filter".
//
// usage: Bedrock reports cache reads and writes apart from inputTokens, so
// prompt_tokens = inputTokens + cacheReadInputTokens +
// cacheWriteInputTokens, prompt_tokens_details.cached_tokens =
// cacheReadInputTokens, completion_tokens = outputTokens, and total_tokens
// their sum. Bedrock does not tell reasoning tokens apart from outputTokens,
// so completion_tokens_details.reasoning_tokens is not reported.
//
// # Streams
//
// ConverseStream answers in AWS event stream messages
// (application/vnd.amazon.eventstream), decoded with the AWS SDK's decoder
// after their lengths are checked (16 MB per message at most). Each is
// translated as it arrives: messageStart into the first chunk (role
// "assistant"); contentBlockStart of a toolUse into a tool_calls delta with
// index, id and name; contentBlockDelta text, toolUse input and reasoning
// text into content, arguments and reasoning_content deltas; messageStop
// into the chunk with finish_reason; metadata into the usage chunk
// ("choices": []), then "data: [DONE]". A stream that ends after
// messageStop without metadata ends with [DONE] and no usage chunk (the
// gateway then counts the tokens itself). An exception message
// (throttlingException, modelStreamErrorException, validationException...)
// fails the stream with its type and message; a stream that breaks, or
// ends before messageStop, or sends a malformed message, fails it too.
//
// # Errors
//
// A Bedrock error answer ({"message":...} with the type in the
// x-amzn-ErrorType header) keeps its status, Retry-After and message; its
// OpenAI code is the error type in snake case (ThrottlingException is
// "throttling_exception", ValidationException "validation_exception") and
// its type follows the status. A Converse answer the gateway cannot read
// becomes a 502.
package bedrock
