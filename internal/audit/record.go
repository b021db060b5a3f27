package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Record is one activity-log entry exactly as Graph sent it.
type Record struct {
	// ID is the record's "id" property ("" if Graph sent none).
	ID string
	// Time is the event time from the stream's TimeField, in UTC.
	Time time.Time
	// Raw is the compact JSON of the record, byte for byte as Graph sent it
	// apart from insignificant whitespace. Unknown fields, duplicate keys and
	// number literals are kept as they were.
	Raw []byte
}

// Digest identifies the record's content: SHA-256 of Raw.
func (r Record) Digest() [sha256.Size]byte { return sha256.Sum256(r.Raw) }

// Compare orders records by event time (as instants), then id byte-wise, then
// raw bytes, so two different records never compare equal and output is
// deterministic.
func Compare(a, b *Record) int {
	if c := CompareKey(a, b); c != 0 {
		return c
	}
	return bytes.Compare(a.Raw, b.Raw)
}

// CompareKey orders records by event time (as instants), then id byte-wise:
// the order of records inside a part. Versions of one record (same time and
// id) compare equal.
func CompareKey(a, b *Record) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// ErrNoTime is returned by ParseRecord when the time field is missing or not a
// valid timestamp.
var ErrNoTime = errors.New("record has no valid event time")

// ParseRecord reads the id and the event time (property timeField) of one
// compact JSON object. It only walks the object's top level; nested values are
// skipped without being decoded. When a key repeats, the last one wins, as in
// encoding/json. The returned record shares raw.
func ParseRecord(raw []byte, timeField string) (Record, error) {
	rec := Record{Raw: raw}
	var timeVal []byte
	err := topLevelMembers(raw, func(key, val []byte, isString bool) {
		// A repeated key's last value wins whatever its type, as in
		// encoding/json, so a later non-string value clears an earlier one.
		switch string(key) {
		case "id":
			rec.ID = ""
			if isString {
				rec.ID = string(val)
			}
		case timeField:
			timeVal = nil
			if isString {
				timeVal = val
			}
		}
	})
	if err != nil {
		return rec, err
	}
	if timeVal == nil {
		return rec, fmt.Errorf("%w: %s missing", ErrNoTime, timeField)
	}
	t, err := ParseTime(string(timeVal))
	if err != nil {
		return rec, fmt.Errorf("%w: %s: %w", ErrNoTime, timeField, err)
	}
	rec.Time = t
	return rec, nil
}

// ParseTime parses a Graph timestamp: ISO 8601 with 0 to 7 (or more)
// fractional digits and a zone, or no zone at all (taken as UTC).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t2, err2 := time.Parse("2006-01-02T15:04:05.999999999", s)
		if err2 != nil {
			return time.Time{}, err
		}
		t = t2
	}
	return t.UTC(), nil
}

// topLevelMembers calls fn for every top-level member of the object in raw
// with the decoded key; for a string value, val is the decoded string,
// otherwise nil and isString false.
func topLevelMembers(raw []byte, fn func(key, val []byte, isString bool)) error {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return errors.New("record is not a JSON object")
	}
	i++
	for {
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return errors.New("record: unexpected end of object")
		}
		if raw[i] == '}' {
			return nil
		}
		if raw[i] == ',' {
			i++
			continue
		}
		if raw[i] != '"' {
			return fmt.Errorf("record: unexpected %q at offset %d", raw[i], i)
		}
		kEnd, err := skipString(raw, i)
		if err != nil {
			return err
		}
		key := raw[i:kEnd]
		i = skipSpace(raw, kEnd)
		if i >= len(raw) || raw[i] != ':' {
			return fmt.Errorf("record: missing ':' at offset %d", i)
		}
		i = skipSpace(raw, i+1)
		if i >= len(raw) {
			return errors.New("record: unexpected end of object")
		}
		if raw[i] == '"' {
			vEnd, err := skipString(raw, i)
			if err != nil {
				return err
			}
			k, err := unquote(key)
			if err != nil {
				return err
			}
			v, err := unquote(raw[i:vEnd])
			if err != nil {
				return err
			}
			fn(k, v, true)
			i = vEnd
			continue
		}
		end, err := skipValue(raw, i)
		if err != nil {
			return err
		}
		k, err := unquote(key)
		if err != nil {
			return err
		}
		fn(k, nil, false)
		i = end
	}
}

func unquote(q []byte) ([]byte, error) {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return nil, fmt.Errorf("record: bad string: %w", err)
	}
	return []byte(s), nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the offset just past the string that starts at b[i]=='"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("record: unterminated string")
}

// skipValue returns the offset just past the JSON value that starts at b[i].
func skipValue(b []byte, i int) (int, error) {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("record: unterminated object or array")
	default:
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if j == i {
					return 0, fmt.Errorf("record: unexpected %q at offset %d", b[j], j)
				}
				return j, nil
			}
			j++
		}
		return j, nil
	}
}
