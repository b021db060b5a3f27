package format

import (
	"errors"
	"fmt"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// This file holds the small JSON accessors the portal views read records
// with. The portal's cells are derived from several properties at once
// (Location, Status, the MFA columns, the audit's numbered targets), which
// the streaming path walk of the csv encoder cannot express, so a portal row
// splits the record's members one level at a time, only where a column
// looks. It uses the csv encoder's scanner: values are sub-slices of the
// record, never copied or re-validated, and keep Graph's bytes (numbers
// their literal, objects and arrays their compact JSON).

// jsonObject is one level of a JSON object: its members in order. A nil
// jsonObject (absent, null or not an object) reads as empty everywhere.
type jsonObject []jsonMember

type jsonMember struct{ key, value []byte }

// appendMembers splits the object that is all of raw into its members and
// appends them to o.
func appendMembers(o jsonObject, raw []byte) (jsonObject, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errors.New("not an object")
	}
	if o == nil {
		o = jsonObject{}
	}
	i++
	for first := true; ; first = false {
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return nil, errors.New("unterminated object")
		}
		if raw[i] == '}' {
			if end := skipSpace(raw, i+1); end != len(raw) {
				return nil, fmt.Errorf("data after the object at offset %d", end)
			}
			return o, nil
		}
		if !first {
			if raw[i] != ',' {
				return nil, fmt.Errorf("want ',' or '}' at offset %d, got %q", i, raw[i])
			}
			i = skipSpace(raw, i+1)
		}
		if i >= len(raw) || raw[i] != '"' {
			return nil, fmt.Errorf("want a member name at offset %d", i)
		}
		kEnd, esc, err := scanString(raw, i)
		if err != nil {
			return nil, err
		}
		key := raw[i+1 : kEnd-1]
		if esc {
			key = appendUnquoted(nil, raw[i:kEnd])
		}
		i = skipSpace(raw, kEnd)
		if i >= len(raw) || raw[i] != ':' {
			return nil, fmt.Errorf("want ':' at offset %d", i)
		}
		i = skipSpace(raw, i+1)
		end, err := scanValue(raw, i)
		if err != nil {
			return nil, err
		}
		o = append(o, jsonMember{key, raw[i:end]})
		i = end
	}
}

// parseObject splits raw when it is a JSON object, else returns nil.
func parseObject(raw []byte) jsonObject {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	o, err := appendMembers(nil, raw)
	if err != nil {
		return nil
	}
	return o
}

// get returns the raw value of member key, or nil. When a key repeats the
// last one wins, as in encoding/json.
func (o jsonObject) get(key string) []byte {
	for i := len(o) - 1; i >= 0; i-- {
		if string(o[i].key) == key {
			return o[i].value
		}
	}
	return nil
}

// obj returns the member key when it is an object, else nil.
func (o jsonObject) obj(key string) jsonObject { return parseObject(o.get(key)) }

// text returns the cell text of the member at path (keys of nested
// objects); "" when a step is missing, null or not an object.
func (o jsonObject) text(path ...string) string {
	for _, key := range path[:len(path)-1] {
		o = o.obj(key)
	}
	return cellText(o.get(path[len(path)-1]))
}

// has reports whether any of keys holds a non-empty cell.
func (o jsonObject) has(keys ...string) bool {
	for _, k := range keys {
		if o.text(k) != "" {
			return true
		}
	}
	return false
}

// cellText is the text of one JSON value under the csv cell rules: a string
// its decoded text (invalid UTF-8 and lone surrogates become U+FFFD, as in
// encoding/json), a number its literal, true and false themselves, null an
// empty cell, an object or array its compact JSON as Graph sent it.
func cellText(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		if plainString(v) {
			return string(v[1 : len(v)-1])
		}
		return string(appendUnquoted(nil, v))
	case 'n':
		if string(v) == "null" {
			return ""
		}
	}
	return string(v)
}

// collection returns the elements of a collection-valued member: an array's
// elements, or a lone object as one element (schema drift seen in Graph
// records: a single entry sent without its array). Anything else is empty.
func collection(v []byte) [][]byte {
	if len(v) == 0 {
		return nil
	}
	switch v[0] {
	case '{':
		return [][]byte{v}
	case '[':
		var elems [][]byte
		for i := skipSpace(v, 1); i < len(v) && v[i] != ']'; {
			end, err := scanValue(v, i)
			if err != nil {
				return nil
			}
			elems = append(elems, v[i:end])
			if i = skipSpace(v, end); i < len(v) && v[i] == ',' {
				i = skipSpace(v, i+1)
			}
		}
		return elems
	}
	return nil
}

// objects splits each element of a collection; an element that is not an
// object keeps its place as nil, so numbered columns stay aligned.
func objects(v []byte) []jsonObject {
	elems := collection(v)
	out := make([]jsonObject, len(elems))
	for i, e := range elems {
		out[i] = parseObject(e)
	}
	return out
}

// jsonArray joins raw elements into a compact JSON array, or "" for none.
func jsonArray(elems [][]byte) string {
	if len(elems) == 0 {
		return ""
	}
	b := []byte{'['}
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	return string(append(b, ']'))
}

// portalDateSource documents the Date (UTC) column read from field.
func portalDateSource(field string) string {
	return field + " in UTC, whole seconds (YYYY-MM-DDThh:mm:ssZ), as the portal shows it"
}

// portalDateLayout renders "Date (UTC)" as observed in the portal's
// downloads: ISO 8601 in UTC, whole seconds, Z (2025-12-04T08:19:41Z).
const portalDateLayout = "2006-01-02T15:04:05Z"

// portalDate is a record's event time as the portal's Date (UTC) shows it:
// the layout has no fraction, so Format truncates to the second. A record
// without a parsed time (never one the archive holds) shows its time
// property as Graph wrote it.
func portalDate(rec *audit.Record, top jsonObject, timeField string) string {
	if rec.Time.IsZero() {
		return top.text(timeField)
	}
	return rec.Time.UTC().Format(portalDateLayout)
}
