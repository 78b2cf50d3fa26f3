package limits

import (
	"context"
	"errors"
	"time"
)

// ErrClosed is returned by a store's methods after Close.
var ErrClosed = errors.New("limits: store closed")

// ErrSettlementDropped is returned by the Redis store's Settle when Redis
// is unreachable and its queue of settlements waiting to be replayed is
// full: that call's usage is lost (and counted, see Redis.Dropped).
var ErrSettlementDropped = errors.New("limits: redis unreachable and the settlement queue is full; settlement dropped")

// Store keeps rate limits, budgets and usage counters. Both stores decide
// alike for the same sequence of calls; see the package documentation.
type Store interface {
	// Admit decides whether the call may go upstream and, when it may,
	// reserves what it asks for. An error means the store could not decide
	// (Redis is unreachable, or a rule is invalid): the caller applies its
	// fail-open or fail-closed policy. The reservation is nil when nothing
	// needs giving back (no token rule and no budget applied).
	Admit(ctx context.Context, ask Ask) (Decision, *Reservation, error)

	// Settle closes a call: it gives back the part of the reservation the
	// call did not use (or charges what it used beyond it), and adds one
	// request and the usage to the counters of (consumer, model). res may be
	// nil (nothing was reserved): then only the counters move. The Redis
	// store queues a settlement it cannot deliver and replays it once Redis
	// answers again, so an outage loses no accounted usage.
	Settle(ctx context.Context, consumer, model string, res *Reservation, used Used) error

	// Usage reports every counter and, for the consumers given, their
	// budget remaining and rule states now.
	Usage(ctx context.Context, consumers []ConsumerLimits) (Report, error)

	// Close stops background work and flushes: the memory store writes its
	// snapshot, the Redis store tries once more to deliver queued
	// settlements. Methods called after Close return ErrClosed.
	Close() error
}

// Ask is what one call asks to be admitted for.
type Ask struct {
	Consumer string
	// Model is the public model name the client asked for; it selects the
	// rules that apply (Rule.Matches).
	Model string
	// Rules are the consumer's rules; Admit applies those that match Model.
	// A rule listed twice applies once.
	Rules []Rule
	// Budget is the consumer's money budget, nil for none.
	Budget *Budget
	// Tokens is what the call reserves against token rules: its input
	// tokens plus the most it may output.
	Tokens int64
	// CostUSD is the most the call may cost, reserved against the budget.
	CostUSD float64
}

// RuleState is where one rule stands after a decision, for the
// x-ratelimit-* headers.
type RuleState struct {
	Rule Rule
	// Remaining is how many units could be admitted at once now, 0..Limit.
	Remaining int64
	// Reset is how long until the rule is fully replenished.
	Reset time.Duration
}

// Decision is Admit's answer.
type Decision struct {
	Allowed bool
	// Reason is Requests, Tokens or BudgetExceeded when refused, "" when
	// allowed.
	Reason Kind
	// Refused is the rule that refused the call (nil when the budget did);
	// it points into States. When several refuse, it is the one that never
	// fits, else the one that frees up last, so RetryAfter is when the call
	// could be admitted.
	Refused *Rule
	// NeverFits is set when the call alone asks for more than the refusing
	// rule's limit (or budget's amount) allows at all: waiting will not help,
	// asking for less (a lower max_tokens) will. RetryAfter is 0 then.
	NeverFits bool
	// RetryAfter is how long until the refused call would fit.
	RetryAfter time.Duration
	// States are the applied rules after the decision, in Ask.Rules order.
	States []RuleState
	// HasBudget is set when a budget applied; then BudgetRemainingUSD is
	// what is left in the current period after the decision (never below
	// 0) and BudgetReset the time until the period ends.
	HasBudget          bool
	BudgetRemainingUSD float64
	BudgetReset        time.Duration
}

// Used is what a call actually used.
type Used struct {
	InputTokens  int64
	OutputTokens int64
	// CachedTokens is the part of InputTokens read from the provider's
	// prompt cache: reported, not counted again against token rules.
	CachedTokens int64
	CostUSD      float64
}

// ConsumerLimits are one consumer's rules and budget, for Usage.
type ConsumerLimits struct {
	Name   string
	Rules  []Rule
	Budget *Budget
}

// Reservation is what Admit took for one call; Settle gives back what the
// call did not use. It is small, immutable, and safe to hand to another
// goroutine. A reservation is settled by the store that made it.
type Reservation struct {
	consumer string
	// tokens is what each rule in tokenRules reserved.
	tokens     int64
	tokenRules []Rule
	ruleBuf    [2]Rule // backs tokenRules for the common case
	budget     budgetHold
}

// budgetHold is the budget part of a reservation: the money reserved in
// the budget window the call was admitted in.
type budgetHold struct {
	periodUS      int64 // 0: no budget applied
	windowStartUS int64
	reservedNano  int64
}

// Consumer is the consumer the reservation was made for.
func (r *Reservation) Consumer() string { return r.consumer }

// Tokens is what the call reserved against its token rules (0 if none
// applied).
func (r *Reservation) Tokens() int64 {
	if len(r.tokenRules) == 0 {
		return 0
	}
	return r.tokens
}

// CostUSD is what the call reserved against its budget (0 if none applied).
func (r *Reservation) CostUSD() float64 { return usd(r.budget.reservedNano) }
