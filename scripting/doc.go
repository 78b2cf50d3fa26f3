// # Writing scripts
//
// A script is a Lua (.lua) or JavaScript (.js) file that defines some of
// four global functions; each is optional:
//
//	on_request(req)         after the caller is identified, before routing:
//	                        change req in place, or refuse with gw.deny
//	route(req)              return "provider/model", a list of them (tried in
//	                        order), or nothing to let the config decide; when
//	                        several scripts route, the first that returns
//	                        something wins
//	on_response(req, res)   after a whole (non-streamed) answer: change
//	                        res.content, or refuse with gw.deny
//	on_chunk(req, chunk)    for each streamed text delta: change chunk.text,
//	                        set chunk.drop = true, or end the stream with
//	                        gw.deny
//
// In Lua:
//
//	function route(req)
//	  if gw.hash(req.consumer.name) % 100 < 10 then return "openai/gpt-4o" end
//	end
//
// In JavaScript:
//
//	function on_request(req) {
//	  if (!req.headers["x-team"]) gw.deny(403, "say which team you are")
//	  req.metadata.team = req.headers["x-team"]
//	}
//
// # What a hook sees
//
// Plain data: Lua tables, JavaScript objects.
//
//	req.model                    string
//	req.messages                 list of {role, content}: content is a string,
//	                             or a list of parts {type="text", text=...} /
//	                             {type="image", url=...}
//	req.system                   string, "" when there is none
//	req.tools                    list of {name, description, parameters}
//	req.max_tokens               number, or nil / undefined when absent
//	req.temperature, req.top_p   number, or nil / undefined when absent
//	req.stream                   boolean
//	req.consumer                 {name, metadata}; name is "" when anonymous
//	req.headers                  the request's headers, names in lower case
//	req.client_ip                string
//	req.estimated_input_tokens   number
//	req.metadata                 string values the script may set; they go
//	                             to the logs and to the metric labels the
//	                             config declares
//	res                          {content, model, provider, status,
//	                             usage = {input_tokens, output_tokens}, cost_usd}
//	chunk                        {text, drop}
//
// on_request may change model, messages, system, tools, max_tokens,
// temperature, top_p and metadata; setting an optional number to nil /
// undefined removes it. Other changes to req are ignored, and so are all
// changes to req outside on_request. A value of the wrong type (a string
// for max_tokens, say) fails the hook and changes nothing. Fields are built
// the first time a hook reads them, so a hook that does not read the
// messages does not pay for them. Do not keep req past the hook: what it
// holds afterwards is unspecified.
//
// # gw
//
//	gw.deny(status, message)  end the hook and answer the client with status
//	                          (an integer from 400 to 599) and message; it
//	                          does not return, and catching the error it
//	                          raises does not undo it
//	gw.log([level,] message)  log through the gateway; level is "debug",
//	                          "info" (the default), "warn" or "error"
//	print(...)                log at "info", the arguments joined by spaces
//	                          (JavaScript also has console.log, .info, .warn,
//	                          .error and .debug)
//	gw.json.encode(value)     JSON text of a value
//	gw.json.decode(text)      the value of JSON text (null becomes nil in Lua)
//	gw.json.array(t)          t, marked to encode as a JSON array even when
//	                          empty (Lua; in JavaScript it returns t)
//	gw.hash(s)                a stable hash of the string s: an integer in
//	                          [0, 2^53), equal in Lua and JavaScript and
//	                          across restarts, for sticky splits
//	gw.now()                  the time as Unix seconds, with milliseconds
//	gw.detect_injection(text [, "tool"])
//	                          the built-in prompt-injection detector's
//	                          verdict: {injection, score, signals}; "tool"
//	                          scores text as a tool result
//	gw.redact(text)           text with personal data and secrets masked
//	                          ([EMAIL], [PHONE], [CARD], [IBAN], [ID], [IP],
//	                          [SECRET]); Lua also returns the kinds found
//
// gw.hash is 64-bit FNV-1a over the UTF-8 bytes of s, keeping the low 53
// bits, so the number is exact in both languages. A non-string argument is
// first converted with tostring (Lua) or String (JavaScript).
//
// # Limits
//
// Each hook call runs alone on one VM, under a time limit (50ms unless the
// config says otherwise, and never past the request's own deadline); a hook
// that overruns is stopped, even in an endless loop, and its VM is thrown
// away. Nesting deeper than 200 calls is an error, not a crash. A request
// whose text and tools exceed 4 MiB is not handed to scripts. A failing
// hook fails the request (on_error fail_closed, the default) or is skipped
// (fail_open); either way it is logged and counted.
//
// There is no memory limit: a hook's allocations are bounded only by its
// time limit, and built-in functions implemented natively (string.rep, a
// regular expression, Array.prototype.fill on a huge array) cannot be
// interrupted while they run. Scripts are trusted configuration; the
// sandbox keeps them from the file system, processes, the network and code
// loading, and keeps one request's globals from the next.
//
// # State
//
// A script's top level runs once per VM when the VM is made (several VMs
// run in parallel, and VMs are replaced at times). A global that a hook
// sets lasts only until the hook returns. Top-level locals (Lua), let /
// const bindings (JavaScript), and changes to library tables or built-in
// prototypes live as long as their VM and are not shared between VMs: keep
// no state in them that must be right.
//
// # Reloading
//
// A script file is watched: a saved change is compiled and serves new
// requests within a fraction of a second, while requests already running
// finish on the version they started with. A version that does not compile
// is logged with file:line and counted, and the previous version keeps
// serving.
package scripting
