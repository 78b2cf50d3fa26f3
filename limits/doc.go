// Package limits keeps consumers' rate limits, money budgets and usage
// counters, in this process (NewMemory) or in Redis (NewRedis) when several
// gateways share them.
//
// # How a call is accounted
//
// The gateway admits each call before sending it upstream and settles it
// after:
//
//   - Admit checks every rule that applies to the call's model and the
//     consumer's budget, and reserves what the call may use: one request, its
//     token estimate (input tokens plus the most it may output) and its
//     worst-case cost. Either everything is reserved or nothing is: a call
//     refused by its token limit does not use up a request.
//   - Settle replaces the reservation with what the call really used, and
//     adds the usage to the counters of (consumer, model).
//
// # Rate limits: GCRA
//
// A rule "N units per WINDOW" (`limit requests 600/1m`, `limit tokens
// 100000/1m model gpt-4o*`) is enforced with the generic cell rate
// algorithm, which keeps a single number per consumer and rule: the
// theoretical arrival time (TAT), the moment the rule would be fully
// replenished. One unit takes T = WINDOW/N of it, and a burst of up to N
// units is allowed (a full window's worth at once).
//
//   - A call costing c units at time now moves the TAT to
//     max(TAT, now) + c*T, and is admitted iff that is at most WINDOW ahead
//     of now. A refused call changes nothing and learns how long to wait:
//     RetryAfter = newTAT - now - WINDOW.
//   - Remaining (the x-ratelimit-remaining-* headers) is how many units
//     would fit at once: floor((WINDOW - (TAT - now)) / T), between 0 and N.
//     Reset is the time until the rule is full again: max(0, TAT - now).
//   - Request rules cost 1 per call, and are never given back.
//   - Token rules reserve the call's estimate (Ask.Tokens). Settling moves the
//     TAT by (used - reserved)*T: unused tokens come back at once (the TAT
//     never moves before now), and tokens used beyond the reservation are a
//     debt the next calls wait for.
//   - A call that costs more than N units can never fit: it is refused with
//     Decision.NeverFits, so the client is told to ask for less (a lower
//     max_tokens) rather than to wait.
//
// Unlike a fixed window, GCRA has no boundary at which a client may spend
// two windows' worth in a moment, and unlike a sliding log it keeps no
// list of calls.
//
// Time is counted in whole microseconds, and T exactly (as whole
// microseconds plus a fraction in 1/N of a microsecond), so "7 per minute"
// admits exactly 7 calls at once and an 8th 8.57… seconds later, with no
// rounding drift.
//
// # Budgets
//
// A budget "AMOUNT USD per PERIOD" (`budget 25usd/1d`) counts money in fixed
// windows aligned to the Unix epoch: a 1d budget renews at 00:00 UTC, a 1h
// budget on the hour. Money is kept in integer nano-dollars, so no float
// drift accumulates. In each window the store keeps what was spent and
// what is reserved by calls in flight, and admits a call iff spent +
// reserved + its worst-case cost <= AMOUNT: as long as calls cost no more
// than their worst case, the budget is never exceeded. A refused call waits
// for the window to end (RetryAfter). A call settles in the window it was
// admitted in, even when the window ended meanwhile (up to an hour after;
// later than that, the window is gone and only the usage counters move). A
// call that alone costs more than AMOUNT never fits (NeverFits), and once
// the budget is spent even a call priced at 0 waits. Money reserved by a
// call that never settles (in Redis: a gateway that died mid-call, or an
// Admit whose answer timed out after Redis ran it) stays reserved until its
// window ends.
//
// Token rules count a call's input plus output tokens; cached tokens are
// the part of the input read from the provider's cache, reported but not
// counted twice.
//
// # Usage counters
//
// Settle adds one request and the call's input, output and cached tokens and
// cost to the counters of its consumer and public model name. The counters
// are cumulative since the store was created; Usage reports them, with each
// configured consumer's budget remaining and rule states (GET
// /ai_gateway/usage).
//
// # Where state lives
//
// State is kept per consumer and rule identity (Rule.ID: kind, limit, window
// and model), so a config reload that keeps a rule keeps its state, and one
// that changes the limit starts that rule afresh. A budget window is kept per
// consumer, period and window start: changing the amount keeps what was
// spent.
//
// The memory store (NewMemory) holds everything in this process, sharded by
// consumer. With a Path it loads a JSON snapshot at start and writes it
// atomically (a temporary file renamed over the old) every second when
// something changed and on Close: counters, budget windows' spend and the
// rules' TATs survive a restart; reservations of calls in flight do not
// (those calls ended with the process). State that no longer matters (a TAT
// more than a window in the past, a budget window over an hour past its end)
// is pruned every minute. Only one process may use a snapshot file.
//
// The Redis store (NewRedis) shares everything between gateways. Admit and
// Settle are each one Lua script, so a call's rules and budget change
// atomically across all gateways. The scripts read the Redis server's clock
// (TIME), so gateways whose clocks disagree still agree; Redis 5 and later
// replicate the scripts' effects, which makes that safe with replicas. Keys
// (under the prefix, "sluice:" by default):
//
//	rate:CONSUMER:RULE_ID            a rule's TAT; expires a window after it
//	budget:CONSUMER:PERIOD_US:START  spent and reserved nano-dollars; expires an hour after the window
//	usage:CONSUMER                   counters, field "MODEL\x00requests" etc.; never expires
//	consumers                        the set of consumer names with counters
//
// A single Redis server is needed (with or without replicas), not Redis
// Cluster. Connections time out after 500ms by default, so an unreachable
// Redis fails Admit quickly: the gateway then applies its fail-open or
// fail-closed policy. Settlements that cannot reach Redis are queued in
// memory (up to 100,000; more are dropped and counted) and replayed in
// order once Redis answers again; the client reconnects by itself.
// Delivery is at least once: a settlement that ran but whose answer timed
// out runs again.
//
// # Both stores decide alike
//
// The memory store and the scripts do the same integer arithmetic, and
// everything derived from it (remaining, reset, retry-after, the decision's
// reason) is computed by the same Go code (gcra.go, decide.go), so for the
// same sequence of calls at the same times both stores give identical
// decisions. The package's tests run one table of scenarios against both:
// the memory store with a hand-moved clock, and the Redis store with the
// same clock passed to the scripts through an unexported, test-only option
// (RedisOptions.now) in place of the server's TIME. Further Redis tests run
// on the server's clock.
package limits
