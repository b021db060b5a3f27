package graph

import (
	"strconv"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// filterTimeLayout renders window bounds as whole seconds, the form Graph's
// documentation uses in every example.
const filterTimeLayout = "2006-01-02T15:04:05Z"

// WindowFilter returns the $filter that selects window w of stream st, with
// an optional extra clause ANDed to it: "(window) and (extra)".
//
// Graph compares only with ge/le (sign-ins, directory audits) or gt/lt
// (provisioning), and bounds are rendered in whole seconds, so the filter
// selects a superset of [From, To) — From floored and To ceiled to a second,
// and for gt the lower bound one second earlier. Fetch drops the records
// outside w.
func WindowFilter(st audit.Stream, w audit.Window, extra string) string {
	from := w.From.UTC().Truncate(time.Second)
	to := ceilSecond(w.To.UTC())
	field := st.TimeField
	var f string
	if st.ExclusiveBounds {
		f = field + " gt " + from.Add(-time.Second).Format(filterTimeLayout) +
			" and " + field + " lt " + to.Format(filterTimeLayout)
	} else {
		f = field + " ge " + from.Format(filterTimeLayout) +
			" and " + field + " le " + to.Format(filterTimeLayout)
	}
	if st.EventType != "" {
		f = "(" + f + ") and signInEventTypes/any(t: t eq '" + st.EventType + "')"
	}
	if extra = strings.TrimSpace(extra); extra != "" {
		f = "(" + f + ") and (" + extra + ")"
	}
	return f
}

func ceilSecond(t time.Time) time.Time {
	f := t.Truncate(time.Second)
	if f.Equal(t) {
		return f
	}
	return f.Add(time.Second)
}

// collectionURL is the first request of a window: root/version/resource with
// $filter and $top. The option names stay literal and spaces become %20.
func collectionURL(root string, st audit.Stream, filter string, top int) string {
	var b strings.Builder
	b.WriteString(root)
	b.WriteByte('/')
	b.WriteString(st.APIVersion)
	b.WriteByte('/')
	b.WriteString(st.Resource)
	b.WriteString("?$filter=")
	b.WriteString(escapeQueryValue(filter))
	b.WriteString("&$top=")
	b.WriteString(strconv.Itoa(top))
	return b.String()
}

// escapeQueryValue percent-encodes a query value. It keeps the characters an
// OData filter is written with (quotes, parentheses, '/', ':', ',') literal,
// as in Graph's documentation, and escapes everything that could end the
// value or change its meaning (space, '&', '+', '#', '=', '%', non-ASCII).
func escapeQueryValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keepInQuery(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func keepInQuery(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$'()*,/:;@", c) >= 0
}
