package odata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// decodeRecord decodes the top-level members of the JSON object record whose
// names are in keys, and skips the rest without allocating: a filter reads a
// handful of a sign-in's forty-odd properties. Values come out as
// encoding/json with UseNumber would produce them (map[string]any, []any,
// json.Number, string, bool, nil; a repeated name keeps its last value).
// The whole record is validated first, so the decoder below can trust the
// syntax.
func decodeRecord(record []byte, keys map[string]bool) (map[string]any, error) {
	if !json.Valid(record) {
		var v any
		err := json.Unmarshal(record, &v)
		return nil, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	d := jsonDecoder{b: record}
	d.skipSpace()
	if d.b[d.i] != '{' {
		return nil, fmt.Errorf("%w: found %s", ErrNotObject, jsonType(d.b[d.i]))
	}
	root := make(map[string]any, len(keys))
	d.i++
	for {
		d.skipSpace()
		switch d.b[d.i] {
		case '}':
			return root, nil
		case ',':
			d.i++
			continue
		}
		// Look the name up without allocating; copy it only when wanted.
		raw := d.stringToken()
		var name string
		var wanted bool
		if inner := raw[1 : len(raw)-1]; isPlain(inner) {
			if wanted = keys[string(inner)]; wanted {
				name = string(inner)
			}
		} else {
			name = unquote(raw)
			wanted = keys[name]
		}
		d.skipSpace()
		d.i++ // ':'
		d.skipSpace()
		if wanted {
			root[name] = d.value()
		} else {
			d.skip()
		}
	}
}

func jsonType(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// jsonDecoder reads valid JSON.
type jsonDecoder struct {
	b []byte
	i int
}

func (d *jsonDecoder) skipSpace() {
	for d.i < len(d.b) && isSpace(d.b[d.i]) {
		d.i++
	}
}

// stringToken returns the quoted string at d.i, quotes included.
func (d *jsonDecoder) stringToken() []byte {
	start := d.i
	for d.i++; d.b[d.i] != '"'; d.i++ {
		if d.b[d.i] == '\\' {
			d.i++
		}
	}
	d.i++
	return d.b[start:d.i]
}

// isPlain reports whether the inside of a JSON string needs no decoding.
func isPlain(inner []byte) bool {
	return bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner)
}

// unquote decodes a quoted string with escapes or invalid UTF-8 the way
// encoding/json does.
func unquote(quoted []byte) string {
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		panic("odata: validated JSON string failed to decode: " + err.Error())
	}
	return s
}

func (d *jsonDecoder) value() any {
	switch c := d.b[d.i]; c {
	case '{':
		obj := map[string]any{}
		d.i++
		for {
			d.skipSpace()
			switch d.b[d.i] {
			case '}':
				d.i++
				return obj
			case ',':
				d.i++
				continue
			}
			name := d.str()
			d.skipSpace()
			d.i++ // ':'
			d.skipSpace()
			obj[name] = d.value()
		}
	case '[':
		arr := []any{}
		d.i++
		for {
			d.skipSpace()
			switch d.b[d.i] {
			case ']':
				d.i++
				return arr
			case ',':
				d.i++
				continue
			}
			arr = append(arr, d.value())
		}
	case '"':
		return d.str()
	case 't':
		d.i += len("true")
		return true
	case 'f':
		d.i += len("false")
		return false
	case 'n':
		d.i += len("null")
		return nil
	}
	start := d.i
	for d.i < len(d.b) && !isDelimiter(d.b[d.i]) {
		d.i++
	}
	return json.Number(d.b[start:d.i])
}

func (d *jsonDecoder) str() string {
	raw := d.stringToken()
	if inner := raw[1 : len(raw)-1]; isPlain(inner) {
		return string(inner)
	}
	return unquote(raw)
}

// skip moves past the value at d.i.
func (d *jsonDecoder) skip() {
	depth := 0
	for {
		switch d.b[d.i] {
		case '"':
			d.stringToken()
		case '{', '[':
			depth++
			d.i++
		case '}', ']':
			depth--
			d.i++
		default:
			if depth == 0 { // a number, true, false or null
				for d.i < len(d.b) && !isDelimiter(d.b[d.i]) {
					d.i++
				}
				return
			}
			d.i++
		}
		if depth == 0 {
			return
		}
	}
}

func isDelimiter(c byte) bool { return c == ',' || c == '}' || c == ']' || isSpace(c) }
