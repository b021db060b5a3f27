package graphsim

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
)

// testGen returns the generator of a stream of a tenant built from cfg.
func testGen(t testing.TB, cfg TenantConfig, stream string) *streamSim {
	t.Helper()
	clock := fakeclock.New(testNow)
	s := &Server{now: clock.Now, opts: Options{}}
	return newTenant(s, cfg).streams[stream]
}

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// nastiness lists what the records of every stream must show somewhere in
// a sample, as byte patterns of the compact JSON.
var nastiness = map[string]*regexp.Regexp{
	"raw é":                    regexp.MustCompile(`é`),
	"raw CJK":                  regexp.MustCompile(`中文|北京|美玲|王`),
	"raw emoji":                regexp.MustCompile(`😀|🚀|🛡`),
	`\u00e9 escape`:            regexp.MustCompile(`\\u00e9`),
	"escaped surrogate pair":   regexp.MustCompile(`\\ud83d\\ude[0-9a-f]{2}`),
	"comma in a string":        regexp.MustCompile(`"[^"]*, [^"]*"`),
	"escaped quote":            regexp.MustCompile(`\\"`),
	"newline escape":           regexp.MustCompile(`\\n`),
	"tab escape":               regexp.MustCompile(`\\t`),
	"raw <>&":                  regexp.MustCompile(`<[a-z]+>[^"]*&`),
	`\u003c escape`:            regexp.MustCompile(`\\u003c`),
	"0.30000000000000004":      regexp.MustCompile(`:0\.30000000000000004[,}]`),
	"1.0":                      regexp.MustCompile(`:1\.0[,}]`),
	"1E+2":                     regexp.MustCompile(`:1E\+2[,}]`),
	"-0":                       regexp.MustCompile(`:-0[,}]`),
	"12345678901234567890":     regexp.MustCompile(`:12345678901234567890[,}]`),
	"1.000000000000000000001":  regexp.MustCompile(`:1\.000000000000000000001[,}]`),
	"unknown property":         regexp.MustCompile(`"experimentalSignal":\{`),
	"time with 0 digits":       regexp.MustCompile(`"(createdDateTime|activityDateTime)":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`),
	"time with 3 digits":       regexp.MustCompile(`"(createdDateTime|activityDateTime)":"[^"]*:\d\d\.\d{3}Z"`),
	"time with 7 digits":       regexp.MustCompile(`"(createdDateTime|activityDateTime)":"[^"]*:\d\d\.\d{7}Z"`),
	"object where array is":    regexp.MustCompile(`"(networkLocationDetails|additionalDetails)":\{|"details":\[`),
	"array where object is":    regexp.MustCompile(`"(networkLocationDetails|additionalDetails)":\[|"details":\{`),
	"null":                     regexp.MustCompile(`:null[,}]`),
	"nested arrays of objects": regexp.MustCompile(`:\[\{"`),
}

func TestRecordsAreNasty(t *testing.T) {
	cfg := baseTenant()
	cfg.BigEvery = 0
	cfg.NoTimeEvery, cfg.NoIDEvery = -1, -1 // TestRecordsWithoutTimeOrID has those
	for _, st := range audit.Streams {
		t.Run(st.Name, func(t *testing.T) {
			ss := testGen(t, cfg, st.Name)
			beta := st.APIVersion == "beta"
			seen := map[string]bool{}
			dups, typeUpper, typeLower := 0, 0, 0
			for i := int64(0); i < 1200; i++ {
				ver := int(i % 3)
				raw := ss.gen.appendRecord(nil, i, ver, shape{beta: beta})
				if !json.Valid(raw) {
					t.Fatalf("record %d is not JSON: %s", i, raw)
				}
				var buf bytes.Buffer
				if json.Compact(&buf, raw) != nil || !bytes.Equal(buf.Bytes(), raw) {
					t.Fatalf("record %d is not compact", i)
				}
				// Beta sign-ins carry about 45 more properties than v1.0's.
				if hi := map[bool]int{false: 4096, true: 6144}[beta]; len(raw) < 1024 || len(raw) > hi {
					t.Errorf("record %d: %d bytes, want 1 KB to %d", i, len(raw), hi)
				}
				rec, err := audit.ParseRecord(raw, st.TimeField)
				if err != nil {
					t.Fatal(err)
				}
				if !guidPattern.MatchString(rec.ID) {
					t.Fatalf("id %q is not a GUID", rec.ID)
				}
				at, _ := ss.tl.at(i)
				if toTicks(rec.Time) != at {
					t.Fatalf("record %d: time %v, timeline says %v", i, rec.Time, fromTicks(at))
				}
				for name, re := range nastiness {
					if !seen[name] && re.Match(raw) {
						seen[name] = true
					}
				}
				if hasDuplicateKey(t, raw) {
					dups++
				}
				typeUpper += bytes.Count(raw, []byte(`"Type":`))
				typeLower += bytes.Count(raw, []byte(`"type":`))
			}
			for name := range nastiness {
				if !seen[name] {
					t.Errorf("no record shows %s", name)
				}
			}
			if dups == 0 {
				t.Error("no record repeats a key")
			}
			if st.Name == audit.DirectoryAudits.Name && (typeUpper == 0 || typeLower == 0) {
				t.Errorf("Type %d times, type %d times: want both", typeUpper, typeLower)
			}
		})
	}
}

// hasDuplicateKey reports whether the record's top-level object repeats a key.
func hasDuplicateKey(t *testing.T, raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		if keys[key] {
			return true
		}
		keys[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return false
}

func TestBigRecords(t *testing.T) {
	cfg := baseTenant()
	cfg.BigEvery = 10
	for _, st := range audit.Streams {
		ss := testGen(t, cfg, st.Name)
		for i := int64(0); i < 40; i++ {
			raw := ss.gen.appendRecord(nil, i, 0, shape{beta: st.APIVersion == "beta"})
			big := i%10 == 9
			if big != (len(raw) > 100*1024) || !json.Valid(raw) {
				t.Errorf("%s record %d: %d bytes, big=%v", st.Name, i, len(raw), big)
			}
		}
	}
	cfg.BigEvery = -1
	ss := testGen(t, cfg, audit.Provisioning.Name)
	for i := int64(0); i < 20000; i++ {
		if raw := ss.gen.appendRecord(nil, i, 0, shape{beta: false}); len(raw) > 4096 {
			t.Fatalf("BigEvery -1 still makes record %d big", i)
		}
	}
}

func TestRecordsAreDeterministic(t *testing.T) {
	a, b := baseTenant(), baseTenant()
	c := baseTenant()
	c.Seed++
	for _, st := range audit.Streams {
		ga, gb, gc := testGen(t, a, st.Name), testGen(t, b, st.Name), testGen(t, c, st.Name)
		for _, i := range []int64{0, 1, 699, 12345} {
			ra := ga.gen.appendRecord(nil, i, 1, shape{beta: true})
			if !bytes.Equal(ra, gb.gen.appendRecord(nil, i, 1, shape{beta: true})) {
				t.Fatalf("%s record %d differs between tenants with the same seed", st.Name, i)
			}
			if bytes.Equal(ra, gc.gen.appendRecord(nil, i, 1, shape{beta: true})) {
				t.Fatalf("%s record %d is the same under another seed", st.Name, i)
			}
		}
	}
}

// TestVersionsAndShapes checks that revisions keep id and time and change
// content, and that the beta shape of an interactive sign-in extends the
// v1.0 one.
func TestVersionsAndShapes(t *testing.T) {
	for _, st := range audit.Streams {
		ss := testGen(t, baseTenant(), st.Name)
		for i := int64(0); i < 50; i++ {
			v0 := ss.gen.appendRecord(nil, i, 0, shape{beta: false})
			r0, _ := audit.ParseRecord(v0, st.TimeField)
			for ver := 1; ver <= maxRevisions; ver++ {
				vn := ss.gen.appendRecord(nil, i, ver, shape{beta: false})
				rn, err := audit.ParseRecord(vn, st.TimeField)
				if err != nil || rn.ID != r0.ID || !rn.Time.Equal(r0.Time) || bytes.Equal(vn, v0) {
					t.Fatalf("%s record %d version %d: same id/time, other content expected", st.Name, i, ver)
				}
			}
		}
	}
	ss := testGen(t, baseTenant(), audit.InteractiveSignIns.Name)
	v1 := ss.gen.appendRecord(nil, 5, 0, shape{beta: false})
	beta := ss.gen.appendRecord(nil, 5, 0, shape{beta: true})
	cut := bytes.Index(v1, []byte(`,"networkLocationDetails"`))
	if cut < 0 || !bytes.HasPrefix(beta, v1[:cut]) || !strings.Contains(string(beta), `"signInEventTypes":["interactiveUser"]`) ||
		strings.Contains(string(v1), "signInEventTypes") {
		t.Fatalf("beta shape:\n%s\nv1.0 shape:\n%s", beta, v1)
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := baseTenant()
	cfg.BigEvery = 0
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.NonInteractiveSignIns, audit.DirectoryAudits, audit.Provisioning} {
		b.Run(st.Name, func(b *testing.B) {
			ss := testGen(b, cfg, st.Name)
			beta := st.APIVersion == "beta"
			const batch = 1000
			buf := make([]byte, 0, 8<<20)
			size := 0
			for i := int64(0); i < batch; i++ {
				size += len(ss.gen.appendRecord(nil, i, 0, shape{beta: beta}))
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for n := 0; b.Loop(); n++ {
				buf = buf[:0]
				base := int64(n) * batch
				for i := base; i < base+batch; i++ {
					buf = ss.gen.appendRecord(buf, i%batch, 0, shape{beta: beta})
				}
			}
		})
	}
}

// nextLinkOf finds the nextLink without decoding the page, so the benchmark
// measures the server.
func nextLinkOf(body []byte) string {
	const key = `"@odata.nextLink":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	link := string(rest[:bytes.IndexByte(rest, '"')])
	return strings.ReplaceAll(link, `\u0026`, "&")
}

// BenchmarkServeHour pages through one hour of 100,000 sign-ins per hour
// over TLS, as a backfill does.
func BenchmarkServeHour(b *testing.B) {
	cfg := baseTenant()
	cfg.Volume = map[string]float64{"interactive-signins": 100000}
	s, err := Start(Options{Now: func() time.Time { return testNow }, Tenants: []TenantConfig{cfg}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tok := fetchToken(b, s)
	w := audit.Window{From: testNow.Add(-3 * time.Hour), To: testNow.Add(-2 * time.Hour)}
	st := audit.InteractiveSignIns
	for b.Loop() {
		u := collectionURL(s, st, windowFilter(st, w))
		bytesRead := 0
		for u != "" {
			r := get(b, s, tok, u)
			if r.status != 200 {
				b.Fatalf("%d %s", r.status, r.body)
			}
			bytesRead += len(r.body)
			u = nextLinkOf(r.body)
		}
		b.SetBytes(int64(bytesRead))
	}
}
