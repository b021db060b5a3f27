package graphsim

import "github.com/entra-archiver/entra-archiver/internal/audit"

// recordKind is the Graph resource type a stream serves.
type recordKind int

const (
	kindSignIn recordKind = iota
	kindDirectoryAudit
	kindProvisioning
)

// Sign-in event types as Graph names them (signInEventTypes).
const (
	eventInteractive      = "interactiveUser"
	eventNonInteractive   = "nonInteractiveUser"
	eventServicePrincipal = "servicePrincipal"
	eventManagedIdentity  = "managedIdentity"
)

// recordGen generates the records of one tenant's stream. Record i, version
// ver, is a pure function of the tenant seed, the stream, i and ver: the rng
// is seeded from the index, and draws never depend on ver or on the API
// version, so versions and shapes of a record share their common fields.
type recordGen struct {
	kind      recordKind
	eventType string // sign-ins only
	salt      uint64
	tl        *timeline
	dir       *directory
	// about one record in each of these is big, has no time, has no id;
	// 0 = never
	bigEvery, noTimeEvery, noIDEvery int64
	// notJSONEvery: about one record in this many is served with a
	// trailing comma; 0 = never
	notJSONEvery int64
}

// oddities say how often a stream's records are odd, as TenantConfig
// counts them: 0 is the default, a negative value never.
type oddities struct{ bigEvery, noTimeEvery, noIDEvery, notJSONEvery int }

func newRecordGen(s audit.Stream, salt uint64, tl *timeline, dir *directory, odd oddities) *recordGen {
	g := &recordGen{salt: salt, tl: tl, dir: dir}
	switch {
	case s.SignIns:
		g.kind = kindSignIn
		g.eventType = s.EventType
		if g.eventType == "" {
			g.eventType = eventInteractive
		}
	case s.Name == audit.DirectoryAudits.Name:
		g.kind = kindDirectoryAudit
	default:
		g.kind = kindProvisioning
	}
	g.bigEvery = int64(orDefault(odd.bigEvery, defaultBigEvery))
	g.noTimeEvery = int64(orDefault(odd.noTimeEvery, defaultNoTimeEvery))
	g.noIDEvery = int64(orDefault(odd.noIDEvery, defaultNoIDEvery))
	g.notJSONEvery = int64(max(odd.notJSONEvery, 0))
	return g
}

// shape is how a record is rendered.
type shape struct {
	// beta selects the beta shape of sign-ins (extra properties).
	beta bool
	// allEnums shows evolvable enum members as they are (the request said
	// Prefer: include-unknown-enum-members); otherwise they read
	// unknownFutureValue.
	allEnums bool
}

// appendRecord appends the compact JSON of version ver of record i in shape
// sh.
func (g *recordGen) appendRecord(dst []byte, i int64, ver int, sh shape) []byte {
	r := rng{s: hash3(g.salt, saltContent, i)}
	big := g.bigEvery > 0 && i%g.bigEvery == g.bigEvery-1
	switch g.kind {
	case kindSignIn:
		return g.appendSignIn(dst, &r, i, ver, sh, big)
	case kindDirectoryAudit:
		return g.appendDirectoryAudit(dst, &r, i, ver, big)
	}
	return g.appendProvisioning(dst, &r, i, ver, big)
}

// appendID appends record i's id: a GUID that all versions share.
func (g *recordGen) appendID(dst []byte, i int64) []byte {
	h := hash3(g.salt, saltID, i)
	return appendGUID(dst, h, splitmix(h))
}

// appendEventTime appends record i's event time as a JSON string.
func (g *recordGen) appendEventTime(dst []byte, i int64) []byte {
	t, digits := g.tl.at(i)
	dst = append(dst, '"')
	dst = appendTime(dst, t, digits)
	return append(dst, '"')
}

// appendQuoted appends s (already JSON-escaped) as a JSON string.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendIPAddress appends a quoted IPv4 or, sometimes, IPv6 address.
func appendIPAddress(dst []byte, r *rng) []byte {
	v := r.next()
	dst = append(dst, '"')
	if v%8 == 0 {
		dst = append(dst, "2a01:110:"...)
		for k := 0; k < 6; k++ {
			if k > 0 {
				dst = append(dst, ':')
			}
			w := (v >> (8 * k)) & 0xffff
			dst = append(dst, hexDigits[w>>12&15], hexDigits[w>>8&15], hexDigits[w>>4&15], hexDigits[w&15])
		}
		return append(dst, '"')
	}
	for k := 0; k < 4; k++ {
		if k > 0 {
			dst = append(dst, '.')
		}
		dst = appendUint(dst, (v>>(16+8*k))&0xff)
	}
	return append(dst, '"')
}

var jsonNone = []byte(`"none"`)

// appendExtras appends the schema-drift oddities every kind shares: now and
// then an unknown property holding odd numbers and tricky text. dupKey and
// dupVal (a complete JSON value) repeat an earlier member, as some published
// Graph examples do.
func appendExtras(dst []byte, r *rng, dupKey string, dupVal []byte) []byte {
	if r.chance(0.12) {
		dst = append(dst, `,"experimentalSignal":{"score":`...)
		dst = append(dst, pick(r, oddNumbers)...)
		dst = append(dst, `,"weight":`...)
		dst = append(dst, pick(r, oddNumbers)...)
		dst = append(dst, `,"labels":["preview","x-ms-`...)
		dst = appendUint(dst, uint64(r.intn(1000)))
		dst = append(dst, `"],"note":`...)
		dst = appendQuoted(dst, pick(r, trickyTexts))
		dst = append(dst, '}')
	}
	if r.chance(0.02) {
		dst = append(dst, ',', '"')
		dst = append(dst, dupKey...)
		dst = append(dst, '"', ':')
		dst = append(dst, dupVal...)
	}
	return dst
}

// bigPayloadEntries makes a big record's repeated member well over 100 KB.
func bigPayloadEntries(r *rng) int { return 700 + r.intn(300) }
