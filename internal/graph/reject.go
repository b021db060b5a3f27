package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Reasons of rejected records travel in blob metadata (HTTP headers), so
// they are short and ASCII: anything taken from the record is quoted with
// strconv.QuoteToASCII and cut to maxQuoted bytes first.
const maxQuoted = 64

// timeReason says why a record has no readable event time: it is not an
// object, or its time field is missing (absent or null), not a string, or
// not a timestamp. It is called only for records that ParseRecord refused,
// so it may decode the record again at leisure.
func timeReason(raw []byte, field string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "not a JSON object"
	}
	var reason string
	switch v := m[field]; {
	case v == nil || string(v) == "null":
		reason = field + " missing"
	case v[0] != '"':
		reason = field + " not a string"
	default:
		var s string
		_ = json.Unmarshal(v, &s)
		reason = field + " not a time: " + quoteASCII(s)
	}
	if id, ok := stringMember(m, "id"); ok && id != "" {
		reason += ", id " + quoteASCII(id)
	}
	return reason
}

// syntaxReason says why a record served whole is not valid JSON, from the
// scanner's error err for the record that begins at body offset start.
func syntaxReason(err error, start int) string {
	var se *syntaxError
	if !errors.As(err, &se) {
		return "not valid JSON"
	}
	return fmt.Sprintf("not valid JSON: %s at byte %d of the record", se.what, se.offset-start)
}

// idReason says why a record with a valid time has no usable id.
func idReason(raw []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "not a JSON object"
	}
	v := m["id"]
	switch id, ok := stringMember(m, "id"); {
	case v == nil || string(v) == "null":
		return "no id"
	case !ok:
		return "id not a string"
	case id == "":
		return "empty id"
	}
	// ParseRecord found no id where encoding/json finds one: say so rather
	// than guess.
	return "id unreadable"
}

// stringMember returns m[key] decoded when it is a JSON string.
func stringMember(m map[string]json.RawMessage, key string) (string, bool) {
	v := m[key]
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// quoteASCII quotes s for a reason: at most maxQuoted bytes of it, cut at a
// rune boundary, in ASCII.
func quoteASCII(s string) string { return strconv.QuoteToASCII(truncate(s, maxQuoted)) }
