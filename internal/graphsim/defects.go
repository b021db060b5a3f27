package graphsim

// Now and then Graph serves a record whose time field is null or missing,
// and, more rarely, one whose id is (issue 13: "one odd record"). Such a
// record cannot be placed in a partition or told apart: the archiver must
// quarantine it and go on. graphsim still serves it wherever its hidden
// event time puts it, so every query whose window holds that time returns
// it (Graph's filter sees a time the record does not show). Which records
// are broken, and how, follows from the stream's salt and the index alone.

// defect is how a record's id or time member is broken.
type defect uint8

const (
	intact  defect = iota
	null           // "member":null
	missing        // the member is left out
)

// defects reports how record i's id and time members are broken.
func (g *recordGen) defects(i int64) (id, time defect) {
	return g.draw(g.noIDEvery, saltNoID, i), g.draw(g.noTimeEvery, saltNoTime, i)
}

// draw breaks about one record in every, null or missing alike.
func (g *recordGen) draw(every int64, kind uint64, i int64) defect {
	if every <= 0 {
		return intact
	}
	h := hash3(g.salt, kind, i)
	switch {
	case h%uint64(every) != 0:
		return intact
	case splitmix(h)&1 == 0:
		return null
	}
	return missing
}

// notJSON reports whether record i is served with a trailing comma.
func (g *recordGen) notJSON(i int64) bool {
	return g.draw(g.notJSONEvery, saltNotJSON, i) != intact
}

// archivable reports whether record i is valid JSON with a readable id and
// time.
func (g *recordGen) archivable(i int64) bool {
	id, t := g.defects(i)
	return id == intact && t == intact && !g.notJSON(i)
}

// appendServed appends record i as Graph serves it: appendRecord's bytes,
// with the trailing comma of a record that is not valid JSON. The filter
// matcher reads appendRecord's bytes, as Graph's filter reads its own
// data rather than the JSON it sends.
func (g *recordGen) appendServed(dst []byte, i int64, ver int, sh shape) []byte {
	return g.breakJSON(g.appendRecord(dst, i, ver, sh), i)
}

// breakJSON puts record i's trailing comma before the closing brace that
// ends dst, if record i has one.
func (g *recordGen) breakJSON(dst []byte, i int64) []byte {
	if !g.notJSON(i) {
		return dst
	}
	return append(dst[:len(dst)-1], ',', '}')
}

// appendIDMember appends record i's "id" member as d leaves it (nothing
// when missing).
func (g *recordGen) appendIDMember(dst []byte, i int64, d defect) []byte {
	switch d {
	case null:
		return append(dst, `"id":null`...)
	case missing:
		return dst
	}
	dst = append(dst, `"id":"`...)
	dst = g.appendID(dst, i)
	return append(dst, '"')
}

// appendTimeMember appends record i's time member, named field, as d leaves
// it (nothing when missing).
func (g *recordGen) appendTimeMember(dst []byte, i int64, field string, d defect) []byte {
	if d == missing {
		return dst
	}
	dst = append(dst, '"')
	dst = append(dst, field...)
	dst = append(dst, '"', ':')
	if d == null {
		return append(dst, "null"...)
	}
	return g.appendEventTime(dst, i)
}

// appendLeadMembers appends the id and time members that open a sign-in or
// provisioning record, comma-separated. One of them is always written (an
// id missing alongside the time reads null), so the members that follow
// can begin with a comma.
func (g *recordGen) appendLeadMembers(dst []byte, i int64, field string) []byte {
	id, t := g.defects(i)
	if id == missing && t == missing {
		id = null
	}
	dst = g.appendIDMember(dst, i, id)
	if id != missing && t != missing {
		dst = append(dst, ',')
	}
	return g.appendTimeMember(dst, i, field, t)
}
