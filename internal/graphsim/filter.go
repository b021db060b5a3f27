package graphsim

import (
	"fmt"
	"math"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/odata"
)

// resource is a Graph collection under auditLogs.
type resource struct {
	kind      recordKind
	path      string // canonical segment: signIns, directoryAudits, provisioning
	timeField string
	// ops are the comparison operators Graph accepts on the time field.
	ops []string
	// caseSensitive: property names must match exactly (provisioning).
	caseSensitive bool
}

var collections = []resource{
	{kindSignIn, "signIns", "createdDateTime", []string{"eq", "ge", "le"}, false},
	{kindDirectoryAudit, "directoryAudits", "activityDateTime", []string{"eq", "ge", "le"}, false},
	{kindProvisioning, "provisioning", "activityDateTime", []string{"eq", "gt", "lt"}, true},
}

func resourceByPath(seg string) (resource, bool) {
	for _, r := range collections {
		if strings.EqualFold(r.path, seg) {
			return r, true
		}
	}
	return resource{}, false
}

// plan is what a $filter selects: the stream, the event-time span its time
// clauses bound, and a matcher for everything else.
type plan struct {
	stream audit.Stream
	span   span
	// lowest is the oldest lower-bound literal (ge, gt or eq) on the time
	// field, math.MaxInt64 when there is none: Graph checks it against its
	// minimum allowed time.
	lowest  int64
	matcher *odata.Matcher // nil: every record
}

// requestError is a request Graph answers with 400; its message is sent to
// the client as it is.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{msg: fmt.Sprintf(format, args...)}
}

// rejectf refuses a $filter in Graph's "Invalid filter clause" wording.
func rejectf(format string, args ...any) error {
	return badRequest("Invalid filter clause: "+format, args...)
}

// planFilter checks a $filter against Graph's rules for the resource and API
// version and turns it into a plan. Time clauses must be top-level ANDed
// comparisons of the time field with a datetime literal, using only the
// operators the resource accepts; on beta sign-ins one
// signInEventTypes/any(t: t eq '…') clause picks the stream (interactive
// sign-ins without it); everything else is evaluated per record.
func planFilter(res resource, beta bool, src string) (plan, error) {
	p := plan{span: span{from: math.MinInt64, to: math.MaxInt64}, lowest: math.MaxInt64}
	switch res.kind {
	case kindSignIn:
		p.stream = audit.InteractiveSignIns
	case kindDirectoryAudit:
		p.stream = audit.DirectoryAudits
	default:
		p.stream = audit.Provisioning
	}
	if strings.TrimSpace(src) == "" {
		return p, nil
	}
	expr, err := odata.Parse(src)
	if err != nil {
		return p, rejectf("%v", err)
	}
	v := vocabFor(res.kind, beta)
	var rest odata.Expr
	eventType := ""
	for _, c := range odata.Conjuncts(expr) {
		if cmp, ok := c.(odata.Compare); ok && isPath(cmp.Left, res.timeField, !res.caseSensitive) {
			if err := p.bound(res, cmp); err != nil {
				return p, err
			}
			continue
		}
		if et, ok, err := eventTypeClause(c, res, beta); ok || err != nil {
			if err != nil {
				return p, err
			}
			if eventType != "" {
				return p, rejectf("only one signInEventTypes value may be filtered per query")
			}
			eventType = et
			continue
		}
		checked, err := canonicalize(c, res, v, beta, nil)
		if err != nil {
			return p, err
		}
		rest = odata.And(rest, checked)
	}
	if eventType != "" {
		p.stream = streamForEventType(eventType)
	}
	if rest != nil {
		m, err := odata.Compile(rest, odata.Options{CaseInsensitive: !res.caseSensitive})
		if err != nil {
			return p, rejectf("%v", err)
		}
		p.matcher = m
	}
	return p, nil
}

// bound narrows the plan's span by one time clause.
func (p *plan) bound(res resource, cmp odata.Compare) error {
	lit, ok := cmp.Right.(odata.Literal)
	if !ok || lit.Kind != odata.LitDateTime {
		return rejectf("%s must be compared with a DateTimeOffset literal", res.timeField)
	}
	if fractionDigits(lit.Raw) > 7 {
		return rejectf("the DateTimeOffset literal %s has more than 7 fractional digits", lit.Raw)
	}
	allowed := false
	for _, op := range res.ops {
		allowed = allowed || op == cmp.Op
	}
	if !allowed {
		return rejectf("the operator '%s' is not supported for %s; use %s", cmp.Op, res.timeField, strings.Join(res.ops, ", "))
	}
	t := toTicks(lit.Time)
	if cmp.Op == "eq" || cmp.Op == "ge" || cmp.Op == "gt" {
		p.lowest = min(p.lowest, t)
	}
	switch cmp.Op {
	case "eq":
		p.span.from, p.span.to = max(p.span.from, t), min(p.span.to, t+1)
	case "ge":
		p.span.from = max(p.span.from, t)
	case "gt":
		p.span.from = max(p.span.from, t+1)
	case "le":
		p.span.to = min(p.span.to, t+1)
	case "lt":
		p.span.to = min(p.span.to, t)
	}
	return nil
}

// fractionDigits counts the fractional-second digits of a datetime literal.
func fractionDigits(raw string) int {
	dot := strings.IndexByte(raw, '.')
	if dot < 0 {
		return 0
	}
	n := 0
	for _, c := range raw[dot+1:] {
		if c < '0' || c > '9' {
			break
		}
		n++
	}
	return n
}

// eventTypeClause recognises signInEventTypes/any(t: t eq 'value'). ok is
// false when c does not mention signInEventTypes at its top; err is set when
// it does but Graph would refuse it.
func eventTypeClause(c odata.Expr, res resource, beta bool) (string, bool, error) {
	l, ok := c.(odata.Lambda)
	if !ok || res.kind != kindSignIn || !isPath(l.Collection, "signInEventTypes", true) {
		return "", false, nil
	}
	if !beta {
		return "", true, rejectf("Could not find a property named 'signInEventTypes' on type 'microsoft.graph.signIn' in v1.0; it exists on beta")
	}
	cmp, ok := l.Body.(odata.Compare)
	if l.Kind != "any" || !ok || cmp.Op != "eq" || !isPath(cmp.Left, l.Var, false) {
		return "", true, rejectf("signInEventTypes supports only any(t: t eq '<type>') with one type per query")
	}
	lit, ok := cmp.Right.(odata.Literal)
	if !ok || lit.Kind != odata.LitString {
		return "", true, rejectf("signInEventTypes must be compared with a string")
	}
	switch lit.Str {
	case eventInteractive, eventNonInteractive, eventServicePrincipal, eventManagedIdentity:
		return lit.Str, true, nil
	}
	return "", true, rejectf("'%s' is not a valid signInEventType", lit.Str)
}

func streamForEventType(et string) audit.Stream {
	for _, s := range audit.Streams {
		if s.SignIns && s.EventType == et {
			return s
		}
	}
	return audit.InteractiveSignIns
}

// isPath reports whether e is the one-segment path name.
func isPath(e odata.Expr, name string, caseless bool) bool {
	p, ok := e.(odata.Path)
	if !ok || len(p.Segments) != 1 {
		return false
	}
	if caseless {
		return strings.EqualFold(p.Segments[0], name)
	}
	return p.Segments[0] == name
}
