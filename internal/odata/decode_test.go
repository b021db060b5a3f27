package odata

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// decodeReference is what decodeRecord must agree with: encoding/json with
// UseNumber, restricted to keys.
func decodeReference(record []byte, keys map[string]bool) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber()
	var full map[string]any
	if err := dec.Decode(&full); err != nil {
		return nil, err
	}
	if full == nil {
		return nil, errors.New("null")
	}
	if len(bytes.Trim(record[dec.InputOffset():], " \t\r\n")) != 0 {
		return nil, errors.New("trailing data")
	}
	out := map[string]any{}
	for k, v := range full {
		if keys[k] {
			out[k] = v
		}
	}
	return out, nil
}

func checkDecode(t *testing.T, record []byte, keys map[string]bool) {
	t.Helper()
	want, wantErr := decodeReference(record, keys)
	got, err := decodeRecord(record, keys)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeRecord(%q) error = %v, encoding/json says %v", record, err, wantErr)
	}
	if err != nil {
		if !errors.Is(err, ErrNotObject) {
			t.Fatalf("decodeRecord(%q) error = %v, want ErrNotObject", record, err)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeRecord(%q, %v) =\n%#v\nwant\n%#v", record, keys, got, want)
	}
}

var decodeSeeds = []string{
	`{}`,
	` { "a" : 1 , "b" : [ 1 , { "c" : null } , [] , {} ] , "d" : "x" } `,
	`{"a":"\u00fc\"\\\/\n","a\u0062":true,"b":false,"c":-1.5e+10,"d":0}`,
	`{"a":1,"a":2,"b":{"x":1,"x":{"y":2}}}`,
	`{"b":{"x":1},"b":{"y":2},"a":[1],"a":"s"}`,
	"{\"a\":\"\xff\xfe\",\"\xffb\":1,\"b\":\"ok\"}",
	`{"a":[[[["deep"]]]],"skip":{"q":[1,2,{"r":"}]\"{"}]},"b":"after"}`,
	`{"a":"\ud83d\ude00","b":"\ud800"}`,
	`{"skip":12345678901234567890,"a":true}`,
	`{"skip":true,"a":null}`,
	`[]`, `null`, `"a"`, `1`, `{"a":1} {}`, `{"a":}`, `{"a":1,}`, ``, `{"a":tru}`,
}

func TestDecodeRecordAgreesWithEncodingJSON(t *testing.T) {
	keySets := []map[string]bool{{}, {"a": true}, {"a": true, "b": true, "ab": true, "\ufffdb": true}}
	for _, rec := range decodeSeeds {
		for _, keys := range keySets {
			checkDecode(t, []byte(rec), keys)
		}
	}
	for _, name := range []string{"signin.json", "audit.json"} {
		rec := readRecord(t, name)
		var all map[string]any
		if err := json.Unmarshal(rec, &all); err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for k := range all {
			keys[k] = true
		}
		checkDecode(t, rec, keys)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, record []byte) {
		checkDecode(t, record, map[string]bool{"a": true, "b": true})
	})
}
