package graphsim

import (
	"net/url"
	"strings"
)

// maxScan bounds the positions one page request examines, as Graph bounds
// a query's work: a page may come back short, even empty, with a nextLink.
const maxScan = 200_000

// page is one built response page.
type page struct {
	stream   string
	records  []byte // records joined by commas
	count    int
	keys     []servedKey
	nextLink string
	// nullLink: without a nextLink, the page says "@odata.nextLink":null
	// instead of leaving it out, as Graph does now and then.
	nullLink bool
	// variant drives choices clients must not depend on: the audit order,
	// the nextLink's spelling, annotations and their order
	variant uint64
}

// buildPage serves the query at the server's current instant. Entries are
// positions 2*index+copy in event-time order; the cursor is such a position,
// so it keeps its meaning while new records appear.
func (s *Server) buildPage(t *Tenant, q *query, now int64) *page {
	ss := t.streams[q.plan.stream.Name]
	lo, hi := ss.tl.indexes(t.scope(q, now))
	pg := &page{stream: ss.stream.Name}
	if lo >= hi {
		pg.variant = hash3(ss.vis.salt, saltPage, int64(q.key))
		pg.nullLink = t.nullNextLink && pg.variant&32 != 0
		return pg
	}
	first, last := 2*lo, 2*hi-1
	step := int64(-1)
	pos := last
	if q.order == orderAsc {
		step, pos = 1, first
	}
	switch {
	case q.cursor < 0:
	case step > 0:
		pos = max(q.cursor, first) // retention may have moved first since
	default:
		pos = min(q.cursor, last)
	}
	// Choices made from the start position keep a page's bytes stable when
	// it is requested again (the audit order is "stable pseudo-random").
	pg.variant = hash3(ss.vis.salt, saltPage, pos)
	pg.nullLink = t.nullNextLink && pg.variant&32 != 0
	var offsets []int
	var lc lifecycle
	lcIndex := int64(-1)
	for scanned := 0; pos >= first && pos <= last; pos += step {
		if scanned++; scanned > maxScan {
			pg.nextLink = s.nextLink(q, pos, pg.variant)
			break
		}
		i, c := pos>>1, int(pos&1)
		if i != lcIndex {
			lc, lcIndex = ss.vis.lifecycle(i, ss.tl.time(i)), i
		}
		n, ver := lc.entries(now)
		if c >= n {
			continue
		}
		start := len(pg.records)
		if start > 0 {
			pg.records = append(pg.records, ',')
		}
		recStart := len(pg.records)
		pg.records = ss.gen.appendRecord(pg.records, i, ver, q.shape)
		if q.plan.matcher != nil {
			if ok, err := q.plan.matcher.Match(pg.records[recStart:]); err != nil || !ok {
				pg.records = pg.records[:start]
				continue
			}
		}
		pg.records = ss.gen.breakJSON(pg.records, i)
		offsets = append(offsets, recStart)
		if s.opts.TrackServed {
			pg.keys = append(pg.keys, servedKey{index: i, version: ver, shape: q.shape})
		}
		if pg.count++; pg.count == q.top {
			// A full page always links on, even when nothing follows: Graph
			// then serves an empty last page.
			pg.nextLink = s.nextLink(q, pos+step, pg.variant)
			break
		}
	}
	if q.order == orderShuffled && len(offsets) > 1 {
		pg.records = shuffleRecords(pg.records, offsets, pg.variant)
	}
	return pg
}

// shuffleRecords permutes the comma-joined records starting at offsets.
func shuffleRecords(recs []byte, offsets []int, seed uint64) []byte {
	n := len(offsets)
	spans := make([][2]int, n)
	for k, off := range offsets {
		end := len(recs)
		if k+1 < n {
			end = offsets[k+1] - 1 // before the comma
		}
		spans[k] = [2]int{off, end}
	}
	r := rng{s: seed}
	for k := n - 1; k > 0; k-- {
		j := r.intn(k + 1)
		spans[k], spans[j] = spans[j], spans[k]
	}
	out := make([]byte, 0, len(recs))
	for k, sp := range spans {
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, recs[sp[0]:sp[1]]...)
	}
	return out
}

// nextLink is the absolute URL of the next page: the original $filter and
// $top, a sealed $skiptoken, and sometimes another spelling of the path or
// of spaces, which clients must follow as given.
func (s *Server) nextLink(q *query, pos int64, variant uint64) string {
	version := "v1.0"
	if q.shape.beta {
		version = "beta"
	}
	path := q.res.path
	if variant&1 == 1 {
		path = strings.ToLower(path)
	}
	esc := func(v string) string {
		e := url.QueryEscape(v)
		if variant&2 == 2 {
			e = strings.ReplaceAll(e, "+", "%20")
		}
		return e
	}
	var b strings.Builder
	b.WriteString(s.base + "/" + version + "/auditLogs/" + path + "?")
	if q.topRaw != "" {
		b.WriteString("$top=" + esc(q.topRaw) + "&")
	}
	if q.filter != "" {
		b.WriteString("$filter=" + esc(q.filter) + "&")
	}
	if q.orderBy != "" {
		b.WriteString("$orderby=" + esc(q.orderBy) + "&")
	}
	b.WriteString("$skiptoken=" + s.sealCursor(pos, q.key))
	return b.String()
}

// tipsAnnotation is an instance annotation Graph adds now and then; clients
// must ignore annotations they do not know.
const tipsAnnotation = `"@microsoft.graph.tips":"Use $select to choose only the properties your app needs, as this can lead to performance improvements. For example: GET auditLogs/signIns?$select=appDisplayName,appId",`

// render produces the response body.
func (pg *page) render(base string, q *query) []byte {
	version := "v1.0"
	if q.shape.beta {
		version = "beta"
	}
	link := pg.nextLink
	if pg.variant&4 == 4 {
		link = strings.ReplaceAll(link, "&", `\u0026`)
	}
	out := make([]byte, 0, len(pg.records)+len(link)+256)
	out = append(out, `{"@odata.context":"`...)
	out = append(out, base...)
	out = append(out, "/"+version+"/$metadata#auditLogs/"+q.res.path+`",`...)
	if pg.variant&8 == 8 {
		out = append(out, tipsAnnotation...)
	}
	member := ""
	switch {
	case link != "":
		member = `"@odata.nextLink":"` + link + `"`
	case pg.nullLink:
		member = `"@odata.nextLink":null`
	}
	linkLast := pg.variant&16 == 16
	if member != "" && !linkLast {
		out = append(out, member+","...)
	}
	out = append(out, `"value":[`...)
	out = append(out, pg.records...)
	out = append(out, ']')
	if member != "" && linkLast {
		out = append(out, ","+member...)
	}
	return append(out, '}')
}
