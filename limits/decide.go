package limits

import "time"

// The part of Admit both stores share: which rules apply, and what the
// decision says once each rule's and the budget's state is known.

// applies reports whether ask.Rules[i] applies to the call: it matches the
// model and is not a repeat of an earlier applied rule (a rule listed twice
// is one rule, with one state).
func applies(ask *Ask, i int) bool {
	r := &ask.Rules[i]
	if !r.Matches(ask.Model) {
		return false
	}
	for j := range i {
		if ask.Rules[j] == *r && ask.Rules[j].Matches(ask.Model) {
			return false
		}
	}
	return true
}

// inspect counts the rules that apply to ask and validates them and the
// budget, so the stores need not guard their arithmetic.
func inspect(ask *Ask) (applied, tokenRules int, err error) {
	for i := range ask.Rules {
		if !applies(ask, i) {
			continue
		}
		if err := ask.Rules[i].Validate(); err != nil {
			return 0, 0, err
		}
		applied++
		if ask.Rules[i].Kind == Tokens {
			tokenRules++
		}
	}
	if ask.Budget != nil {
		if err := ask.Budget.Validate(); err != nil {
			return 0, 0, err
		}
	}
	return applied, tokenRules, nil
}

// ruleCheck is one applied rule's state for a decision: its TAT now (never
// before now) and the TAT it would have if the call were admitted.
type ruleCheck struct {
	rule      Rule
	cost      int64
	cur, next instant
}

func newRuleCheck(r Rule, tokens int64, stored instant, now int64) ruleCheck {
	c := ruleCheck{rule: r, cost: r.cost(tokens), cur: stored.notBefore(now)}
	us, frac := span(c.cost, r.windowUS(), r.Limit)
	c.next = c.cur.plus(us, frac, r.Limit)
	return c
}

func (c *ruleCheck) neverFits() bool { return c.cost > c.rule.Limit }

func (c *ruleCheck) fits(now int64) bool { return fitsWindow(c.next, now, c.rule.windowUS()) }

// budgetCheck is the budget's state for a decision, in nano-dollars, in the
// window that holds now.
type budgetCheck struct {
	amount, ask     int64
	spent, reserved int64
	periodUS        int64
	windowStartUS   int64
}

func (b *budgetCheck) fits() bool { return budgetFits(b.spent, b.reserved, b.ask, b.amount) }

func (b *budgetCheck) reset(now int64) time.Duration {
	return time.Duration(b.windowStartUS+b.periodUS-now) * time.Microsecond
}

// decide makes the decision from the checks of every applied rule and the
// budget (nil when none applies). states must have len(checks); it is
// filled and becomes Decision.States.
func decide(now int64, checks []ruleCheck, budget *budgetCheck, states []RuleState) Decision {
	d := Decision{Allowed: true}
	for i := range checks {
		if !checks[i].fits(now) {
			d.Allowed = false
		}
	}
	if budget != nil && !budget.fits() {
		d.Allowed = false
	}
	for i := range checks {
		c := &checks[i]
		t := c.cur
		if d.Allowed {
			t = c.next
		}
		states[i] = RuleState{
			Rule:      c.rule,
			Remaining: remainingAt(t, now, c.rule.windowUS(), c.rule.Limit),
			Reset:     until(t, now, c.rule.Limit),
		}
	}
	d.States = states
	if budget != nil {
		left := budget.amount - budget.spent - budget.reserved
		if d.Allowed {
			left -= budget.ask
		}
		d.HasBudget = true
		d.BudgetRemainingUSD = usd(max(left, 0))
		d.BudgetReset = budget.reset(now)
	}
	if !d.Allowed {
		blame(&d, now, checks, budget)
	}
	return d
}

// blame fills in why a refused call was refused: a limit it can never fit
// first, else the limit that frees up last, so RetryAfter is when the call
// would be admitted (all else equal).
func blame(d *Decision, now int64, checks []ruleCheck, budget *budgetCheck) {
	for i := range checks {
		if checks[i].neverFits() {
			d.Reason, d.Refused, d.NeverFits = checks[i].rule.Kind, &d.States[i].Rule, true
			return
		}
	}
	if budget != nil && budget.ask > budget.amount {
		d.Reason, d.NeverFits = BudgetExceeded, true
		return
	}
	for i := range checks {
		c := &checks[i]
		if c.fits(now) {
			continue
		}
		if wait := retryAfter(c.next, now, c.rule.windowUS(), c.rule.Limit); d.Reason == "" || wait > d.RetryAfter {
			d.Reason, d.Refused, d.RetryAfter = c.rule.Kind, &d.States[i].Rule, wait
		}
	}
	if budget != nil && !budget.fits() {
		if wait := budget.reset(now); d.Reason == "" || wait > d.RetryAfter {
			d.Reason, d.Refused, d.RetryAfter = BudgetExceeded, nil, wait
		}
	}
}

// admission holds what one Admit returns in a single allocation: the
// reservation and, for up to four rules, the decision's states.
type admission struct {
	res    Reservation
	states [4]RuleState
}

// newAdmission allocates the reservation and a states slice of n.
func newAdmission(n int) (*Reservation, []RuleState) {
	a := new(admission)
	if n <= len(a.states) {
		return &a.res, a.states[:n]
	}
	return &a.res, make([]RuleState, n)
}

// reserve fills in res for an allowed call; it returns nil when nothing
// needs giving back (request rules only).
func reserve(res *Reservation, ask *Ask, checks []ruleCheck, budget *budgetCheck) *Reservation {
	res.consumer = ask.Consumer
	res.tokens = max(ask.Tokens, 0)
	res.tokenRules = res.ruleBuf[:0]
	for i := range checks {
		if checks[i].rule.Kind == Tokens {
			res.tokenRules = append(res.tokenRules, checks[i].rule)
		}
	}
	if budget != nil {
		res.budget = budgetHold{periodUS: budget.periodUS, windowStartUS: budget.windowStartUS, reservedNano: budget.ask}
	}
	if len(res.tokenRules) == 0 && budget == nil {
		return nil
	}
	return res
}

// settleTAT is a token rule's TAT after a call that reserved `reserved`
// tokens used `actual`: moved by (actual-reserved)*T from the stored TAT
// (a refund moves it back, debt forward), then, as ever, never before now.
// keep is false when the result is not after now: the state can be
// dropped, as a TAT of now or before means a full rule.
func settleTAT(r Rule, stored instant, found bool, reserved, actual, now int64) (t instant, keep bool) {
	w := r.windowUS()
	if !found || tatForgotten(stored, now, w) {
		stored = instant{us: now}
	}
	us, frac := span(actual-reserved, w, r.Limit)
	t = stored.plus(us, frac, r.Limit)
	return t, t.after(now)
}

// usedTokens is what a call counts against token rules.
func usedTokens(u Used) int64 { return max(u.InputTokens, 0) + max(u.OutputTokens, 0) }

// budgetKeep reports whether a budget window ending at endUS is still kept
// at now (late settlements land in it until then).
func budgetKeep(endUS, now int64) bool {
	return now <= endUS+int64(budgetGrace/time.Microsecond)
}
