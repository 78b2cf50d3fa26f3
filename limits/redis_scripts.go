package limits

import (
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Redis store's atomic operations, as Lua scripts. Each runs as one
// step inside Redis, so every gateway sharing the Redis sees the rules and
// the budget of a call change all together or not at all.
//
// They do only what must happen inside Redis: read the state, apply the
// GCRA step and the budget test (the same integer arithmetic as gcra.go),
// write. They return the raw state, and Go derives remaining, reset and
// retry-after from it with the code the memory store uses.
//
// Conventions shared by both scripts:
//   - Time is the Redis server's clock (TIME), in microseconds since the
//     epoch, so gateways whose clocks disagree still agree. ARGV[1] may carry
//     a time instead; only the package's tests set it, to drive a clock.
//   - A TAT is stored as the string "US:FRAC": whole microseconds plus
//     FRAC/limit of a microsecond (see gcra.go). Lua numbers are doubles,
//     exact for the integers used here (all below 2^53); numbers are written
//     back with %.0f, since tostring would round them to 14 digits.
//   - Budget amounts are integer nano-dollars in a hash with the fields
//     "spent" and "reserved".
//   - redis.replicate_commands makes Redis before 5 replicate the scripts'
//     effects rather than the scripts, which reading TIME requires; Redis 5
//     and later do so anyway.

// luaPrelude is the helpers both scripts start with.
const luaPrelude = `
if redis.replicate_commands then redis.replicate_commands() end

-- clock: the test-supplied time, else the server's, in microseconds.
local function clock(arg)
  local now = tonumber(arg)
  if now then return now end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- int: an integer-valued number as decimal digits.
local function int(x) return string.format('%.0f', x) end

-- read_tat: the TAT stored at key, or nil.
local function read_tat(key)
  local v = redis.call('GET', key)
  if not v then return nil end
  local us, frac = string.match(v, '^(%d+):(%d+)$')
  if not us then return nil end
  return tonumber(us), tonumber(frac)
end

-- write_tat: store a TAT until it is one window in the past (after that it
-- means the same as no state).
local function write_tat(key, us, frac, now, window)
  redis.call('SET', key, int(us) .. ':' .. int(frac), 'PX', int(math.floor((us - now + window) / 1000) + 1))
end
`

// admitLua admits a call against every applied rule and the budget, all or
// nothing.
//
//	KEYS[1..n]   the rules' TAT keys
//	KEYS[n+1]    the budget's key prefix; the window start is appended
//	ARGV[1]      time override ("" in production)
//	ARGV[2]      n
//	per rule i, from ARGV[3+4(i-1)]: span of the call's cost (whole µs,
//	             fraction), limit, window in µs
//	ARGV[3+4n]   "1" when a budget applies, then its period in µs, amount
//	             and the call's worst-case cost in nano-dollars
//
// It returns {allowed (1 or 0), now, then per rule: current TAT (µs, frac,
// never before now) and the TAT if admitted (µs, frac), then with a budget:
// window start, spent, reserved (before this call)}.
const admitLua = luaPrelude + `
local now = clock(ARGV[1])
local n = tonumber(ARGV[2])
local reply = {0, now}
local allowed = true
local nexts = {}
for i = 1, n do
  local a = 2 + (i - 1) * 4
  local inc, frac = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local limit, window = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local us, f = read_tat(KEYS[i])
  -- A TAT in the past means a full rule: start from now.
  if not us or us < now or (us == now and f == 0) then us, f = now, 0 end
  local nus, nf = us + inc, f + frac
  if nf >= limit then nus, nf = nus + 1, nf - limit end
  -- GCRA: admitted iff the new TAT is at most one window ahead of now.
  local ahead = nus - now
  if not (ahead < window or (ahead == window and nf == 0)) then allowed = false end
  nexts[i] = {nus, nf, window}
  reply[#reply + 1] = us
  reply[#reply + 1] = f
  reply[#reply + 1] = nus
  reply[#reply + 1] = nf
end

local b = 3 + 4 * n
local budget_key, ask, window_end
if ARGV[b] == '1' then
  local period, amount = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
  ask = ARGV[b + 3]
  -- Fixed windows aligned to the epoch; fmod is exact on these integers.
  local start = now - math.fmod(now, period)
  window_end = start + period
  budget_key = KEYS[n + 1] .. int(start)
  local h = redis.call('HMGET', budget_key, 'spent', 'reserved')
  local spent, reserved = tonumber(h[1]) or 0, tonumber(h[2]) or 0
  local used = spent + reserved
  -- A spent budget refuses even a free call.
  if not (used < amount and used + tonumber(ask) <= amount) then allowed = false end
  reply[#reply + 1] = start
  reply[#reply + 1] = spent
  reply[#reply + 1] = reserved
end

if allowed then
  reply[1] = 1
  for i = 1, n do
    write_tat(KEYS[i], nexts[i][1], nexts[i][2], now, nexts[i][3])
  end
  if budget_key then
    redis.call('HINCRBY', budget_key, 'reserved', ask)
    redis.call('PEXPIRE', budget_key, int(math.floor((window_end + $GRACE_US - now) / 1000) + 1))
  end
end
return reply
`

// settleLua closes a call: token rules' TATs move by what the call used
// beyond (or short of) its reservation, the budget window trades reserved
// for spent, and the usage counters grow.
//
//	KEYS[1..n]   the token rules' TAT keys
//	KEYS[n+1]    the budget window's key, when a budget applied
//	then         the consumer's usage hash, the set of consumer names
//	ARGV[1]      time override ("" in production)
//	ARGV[2]      n
//	per rule i, from ARGV[3+4(i-1)]: span of (used - reserved) tokens
//	             (whole µs, possibly negative, and fraction), limit, window
//	ARGV[3+4n]   "1" when a budget applied, then the window's end in µs,
//	             minus the reserved nano-dollars, the spent nano-dollars
//	then         consumer, model, input, output, cached tokens, cost in
//	             nano-dollars
//
// Usage fields are "MODEL\0requests", "MODEL\0input_tokens",
// "MODEL\0output_tokens", "MODEL\0cached_tokens", "MODEL\0cost_nano_usd".
const settleLua = luaPrelude + `
local now = clock(ARGV[1])
local n = tonumber(ARGV[2])
for i = 1, n do
  local a = 2 + (i - 1) * 4
  local dus, dfrac = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local limit, window = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local us, f = read_tat(KEYS[i])
  -- Over a window in the past, a TAT may be gone already: treat it as now
  -- either way (the memory store does the same).
  if not us or us + window < now then us, f = now, 0 end
  us, f = us + dus, f + dfrac
  if f >= limit then us, f = us + 1, f - limit end
  if us > now or (us == now and f > 0) then
    write_tat(KEYS[i], us, f, now, window)
  else
    redis.call('DEL', KEYS[i]) -- not after now: the rule is full
  end
end

local b = 3 + 4 * n
local k = n + 1
if ARGV[b] == '1' then
  local window_end = tonumber(ARGV[b + 1])
  -- The spend lands in the window of the admission, if still kept.
  if now <= window_end + $GRACE_US then
    local key = KEYS[k]
    if redis.call('HINCRBY', key, 'reserved', ARGV[b + 2]) < 0 then
      redis.call('HSET', key, 'reserved', '0')
    end
    redis.call('HINCRBY', key, 'spent', ARGV[b + 3])
    redis.call('PEXPIRE', key, int(math.floor((window_end + $GRACE_US - now) / 1000) + 1))
  end
  k = k + 1
end

local u = b + 4
local usage, prefix = KEYS[k], ARGV[u + 1] .. '\0'
redis.call('HINCRBY', usage, prefix .. 'requests', 1)
local fields = {'input_tokens', 'output_tokens', 'cached_tokens', 'cost_nano_usd'}
for j = 1, 4 do
  if ARGV[u + 1 + j] ~= '0' then
    redis.call('HINCRBY', usage, prefix .. fields[j], ARGV[u + 1 + j])
  end
end
redis.call('SADD', KEYS[k + 1], ARGV[u])
return 1
`

// Usage hash field names after "MODEL\0".
const (
	fieldRequests = "requests"
	fieldInput    = "input_tokens"
	fieldOutput   = "output_tokens"
	fieldCached   = "cached_tokens"
	fieldCostNano = "cost_nano_usd"
)

func withGrace(src string) string {
	return strings.ReplaceAll(src, "$GRACE_US", strconv.FormatInt(int64(budgetGrace/time.Microsecond), 10))
}

var (
	admitScript  = redis.NewScript(withGrace(admitLua))
	settleScript = redis.NewScript(withGrace(settleLua))
)
