package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/odata"
)

// builtinSettings are the defaults a configuration without a defaults
// section gets. The last recheck is at 72h, not 24h: Microsoft says a sign-in
// can take up to 24 hours to appear and users report more, so a recheck at
// exactly 24h would race the latest of them.
func builtinSettings() Settings {
	return Settings{
		Schedule:         "@every 15m",
		Streams:          []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits},
		Formats:          []string{"jsonl"},
		Compression:      "gzip",
		Partition:        audit.Hour,
		Settle:           15 * time.Minute,
		Recheck:          []time.Duration{2 * time.Hour, 24 * time.Hour, 72 * time.Hour},
		Start:            Start{Retention: true},
		RetentionWarning: 120 * time.Hour,
		RateLimit:        RateLimit{Requests: 5, Per: 10 * time.Second},
	}
}

// clone returns a copy of s that shares no slice or map with it.
func (s Settings) clone() Settings {
	s.Streams = slices.Clone(s.Streams)
	s.Formats = slices.Clone(s.Formats)
	s.Recheck = slices.Clone(s.Recheck)
	s.Filter = maps.Clone(s.Filter)
	return s
}

// settingsFields decodes the settings keys (of defaults or of a tenant) into
// s, recording in set which keys were given.
func (d *decoder) settingsFields(s *Settings, set map[string]bool) map[string]fieldFunc {
	mark := func(key string, f fieldFunc) fieldFunc {
		return func(p string, v any) { set[key] = true; f(p, v) }
	}
	return map[string]fieldFunc{
		"schedule":          mark("schedule", func(p string, v any) { d.schedule(p, v, s) }),
		"streams":           mark("streams", func(p string, v any) { d.streams(p, v, s) }),
		"formats":           mark("formats", func(p string, v any) { d.formats(p, v, s) }),
		"compression":       mark("compression", func(p string, v any) { d.enum(p, v, &s.Compression, "compression", "gzip", "none") }),
		"partition":         mark("partition", func(p string, v any) { d.partition(p, v, s) }),
		"settle":            mark("settle", func(p string, v any) { d.nonNegative(p, v, &s.Settle) }),
		"recheck":           mark("recheck", func(p string, v any) { d.recheck(p, v, s) }),
		"start":             mark("start", func(p string, v any) { d.start(p, v, s) }),
		"retention_warning": mark("retention_warning", func(p string, v any) { d.nonNegative(p, v, &s.RetentionWarning) }),
		"rate_limit":        mark("rate_limit", func(p string, v any) { d.rateLimit(p, v, &s.RateLimit) }),
		"filter":            mark("filter", func(p string, v any) { d.filter(p, v, s) }),
	}
}

func (d *decoder) schedule(path string, v any, s *Settings) {
	spec, ok := d.str(path, v)
	if !ok {
		return
	}
	if err := checkSchedule(spec); err != nil {
		d.addf(path, "bad schedule %q: %v", spec, err)
		return
	}
	s.Schedule = spec
}

// checkSchedule parses a cron spec the way the scheduler will. cron v3 panics
// on some malformed specs ("TZ=UTC" without a schedule), so a panic is turned
// into an error.
func checkSchedule(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed spec")
		}
	}()
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return err
	}
	// cron turns any @every delay under a second into one second, so a
	// typo ("@every -5m", "@every 500ms") would run every job every second.
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		d, perr := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(spec), "@every")))
		if perr != nil || d < time.Second {
			return errors.New("the @every interval must be at least 1s (for example @every 15m)")
		}
	}
	return nil
}

func (d *decoder) streams(path string, v any, s *Settings) {
	items, ok := d.list(path, v)
	if !ok {
		return
	}
	var names []string
	good := true
	for i, item := range items {
		p := index(path, i)
		name, ok := d.str(p, item)
		if !ok {
			good = false
			continue
		}
		if _, known := audit.StreamByName(name); !known && name != audit.AllStreams {
			d.addf(p, "unknown stream %q (known: %s, or %s)", name, strings.Join(audit.StreamNames(), ", "), audit.AllStreams)
			good = false
			continue
		}
		names = append(names, name)
	}
	if !good {
		return
	}
	if len(names) == 0 {
		d.addf(path, "must name at least one stream (or %s)", audit.AllStreams)
		return
	}
	streams, err := audit.ResolveStreams(names)
	if err != nil {
		d.addf(path, "%v", err)
		return
	}
	s.Streams = streams
}

var knownFormats = []string{"jsonl", "json", "csv"}

func (d *decoder) formats(path string, v any, s *Settings) {
	items, ok := d.list(path, v)
	if !ok {
		return
	}
	var formats []string
	good := true
	for i, item := range items {
		p := index(path, i)
		f, ok := d.str(p, item)
		switch {
		case !ok:
			good = false
		case !slices.Contains(knownFormats, f):
			d.addf(p, "unknown format %q (want %s)", f, orList(knownFormats))
			good = false
		case slices.Contains(formats, f):
			d.addf(p, "%s is listed twice", f)
			good = false
		default:
			formats = append(formats, f)
		}
	}
	if !good {
		return
	}
	if len(formats) == 0 {
		d.addf(path, "must name at least one format (%s)", orList(knownFormats))
		return
	}
	s.Formats = formats
}

func (d *decoder) partition(path string, v any, s *Settings) {
	name, ok := d.str(path, v)
	if !ok {
		return
	}
	g, err := audit.ParseGranularity(name)
	if err != nil {
		d.addf(path, "%v", err)
		return
	}
	s.Partition = g
}

func (d *decoder) nonNegative(path string, v any, dst *time.Duration) {
	t, ok := d.duration(path, v)
	if !ok {
		return
	}
	if t < 0 {
		d.addf(path, "must not be negative")
		return
	}
	*dst = t
}

func (d *decoder) recheck(path string, v any, s *Settings) {
	items, ok := d.list(path, v)
	if !ok {
		return
	}
	ages := []time.Duration{}
	good := true
	for i, item := range items {
		t, ok := d.duration(index(path, i), item)
		if !ok {
			good = false
			continue
		}
		ages = append(ages, t)
	}
	if good {
		s.Recheck = ages
	}
}

func (d *decoder) start(path string, v any, s *Settings) {
	if t, ok := v.(time.Time); ok {
		s.Start = Start{At: t.UTC()}
		return
	}
	str, ok := d.str(path, v)
	if !ok {
		return
	}
	start, err := ParseStart(str)
	if err != nil {
		d.addf(path, "%v", err)
		return
	}
	s.Start = start
}

// ParseStart reads a start value: "retention", an RFC 3339 time or a duration
// back from now ("72h", "7d").
func ParseStart(s string) (Start, error) {
	if s == "retention" {
		return Start{Retention: true}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Start{At: t.UTC()}, nil
	}
	back, err := ParseDuration(s)
	if err != nil || back <= 0 {
		return Start{}, fmt.Errorf(`bad start %q (want "retention", an RFC 3339 time like 2026-11-01T00:00:00Z, or a duration back like 72h or 7d)`, s)
	}
	return Start{Back: back}, nil
}

func (s Start) String() string {
	switch {
	case s.Retention:
		return "retention"
	case !s.At.IsZero():
		return s.At.Format(time.RFC3339Nano)
	}
	return FormatDuration(s.Back)
}

func (d *decoder) filter(path string, v any, s *Settings) {
	m, ok := v.(map[string]any)
	if !ok {
		d.addf(path, "must be a mapping of stream name to OData filter, got %s", describe(v))
		return
	}
	// The valid entries are kept even when others are not, so the checks
	// that follow (selected streams) see what the user wrote.
	filters := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		p := join(path, name)
		if _, known := audit.StreamByName(name); !known {
			d.addf(p, "unknown stream %q (known: %s)", name, strings.Join(audit.StreamNames(), ", "))
			continue
		}
		if m[name] == nil {
			continue
		}
		expr, ok := d.str(p, m[name])
		if !ok || strings.TrimSpace(expr) == "" {
			continue
		}
		tree, err := odata.Parse(expr)
		if err != nil {
			d.addf(p, "%v", err)
			continue
		}
		st, _ := audit.StreamByName(name)
		if err := checkTimeOperators(st, tree); err != nil {
			d.addf(p, "%v", err)
			continue
		}
		// Queries send the filter ANDed to the time window, inside one more
		// pair of parentheses (graph.WindowFilter): it must parse there too.
		if _, err := odata.Parse("(" + expr + ")"); err != nil {
			d.addf(p, "nested too deeply to be ANDed to the time window")
			continue
		}
		d.checkFilterProperties(p, st, tree)
		filters[name] = expr
	}
	s.Filter = nil
	if len(filters) > 0 {
		s.Filter = filters
	}
}

// checkFilterProperties warns about each property of a filter that st's
// records do not have by their documentation (format.MatchProperty, the
// rule export --where follows): Graph answers 400 to a property its
// resource lacks, and where it does not, records without it compare as
// null, so a misspelt "failures only" filter would archive nothing or
// everything.
func (d *decoder) checkFilterProperties(path string, st audit.Stream, e odata.Expr) {
	for _, p := range odata.RecordPaths(e) {
		switch match, spelling := format.MatchProperty(st, p.Segments); match {
		case format.WrongCase:
			d.warnf(path, "property %q is documented as %q (property names are case-sensitive)", p.String(), spelling)
		case format.Undocumented:
			d.warnf(path, "property %q is not a documented property of %s records (docs/csv-columns.md): "+
				"if it is misspelt, Graph refuses the query or the filter compares it as null", p.String(), st.Name)
		}
	}
}

// checkTimeOperators rejects comparisons of the stream's time field with an
// operator Graph refuses there (it answers 400 "Invalid filter clause"):
// provisioning takes eq, gt and lt; the other streams eq, ge and le.
func checkTimeOperators(st audit.Stream, e odata.Expr) error {
	allowed := []string{"eq", "ge", "le"}
	if st.ExclusiveBounds {
		allowed = []string{"eq", "gt", "lt"}
	}
	var bad error
	odata.Walk(e, func(x odata.Expr) bool {
		c, ok := x.(odata.Compare)
		if !ok || bad != nil {
			return bad == nil
		}
		for _, side := range []odata.Expr{c.Left, c.Right} {
			if p, ok := side.(odata.Path); ok && len(p.Segments) == 1 && p.Segments[0] == st.TimeField && !slices.Contains(allowed, c.Op) {
				bad = fmt.Errorf("Graph accepts only %s on %s of %s, not %s (it answers 400 Invalid filter clause)",
					strings.Join(allowed, ", "), st.TimeField, st.Name, c.Op)
			}
		}
		return true
	})
	return bad
}

// checkRecheck reports recheck ages that are not strictly increasing or not
// above settle. When only settle was set at this level (a tenant overriding
// settle but inheriting recheck) the problem is reported at settle.
func (d *decoder) checkRecheck(prefix string, s Settings, set map[string]bool) {
	if !set["settle"] && !set["recheck"] {
		return
	}
	for i, age := range s.Recheck {
		switch {
		case age <= s.Settle && !set["recheck"]:
			d.addf(join(prefix, "settle"), "must be less than every recheck age (recheck[%d] is %s)", i, FormatDuration(age))
			return
		case age <= s.Settle:
			d.addf(index(join(prefix, "recheck"), i), "must be greater than settle (%s)", FormatDuration(s.Settle))
		case i > 0 && age <= s.Recheck[i-1]:
			d.addf(index(join(prefix, "recheck"), i), "must be greater than recheck[%d] (%s)", i-1, FormatDuration(s.Recheck[i-1]))
		}
	}
}

// selected reports whether the stream is among s.Streams.
func (s Settings) selected(name string) bool {
	return slices.ContainsFunc(s.Streams, func(st audit.Stream) bool { return st.Name == name })
}

func streamNames(streams []audit.Stream) string {
	names := make([]string, len(streams))
	for i, s := range streams {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
