package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// decoder walks the merged configuration tree (YAML file plus environment),
// decoding values into typed fields and collecting every problem with its key
// path instead of stopping at the first one.
type decoder struct {
	problems []Problem
	warnings []string
	// origins maps the key path of every value set by an environment
	// variable to that variable's name, so problems can name it.
	origins map[string]string
	// env is the environment Load was given, for *_env secret references.
	env envMap
	// storageOnly: the command only reads storage, so the Graph
	// credentials are checked for form but never resolved (StorageOnly).
	storageOnly bool
	// skipSecrets is set while a Graph credential is decoded with
	// storageOnly.
	skipSecrets bool
	// warnUnresolved makes a Graph secret that does not resolve a warning
	// with storageOnly (config check), instead of passing in silence.
	warnUnresolved bool
}

// fieldFunc decodes the value v found at path.
type fieldFunc func(path string, v any)

func (d *decoder) addf(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if name := d.origin(path); name != "" {
		msg += " (set by " + name + ")"
	}
	d.problems = append(d.problems, Problem{Path: path, Message: msg})
}

func (d *decoder) warnf(path, format string, args ...any) {
	d.warnings = append(d.warnings, Problem{Path: path, Message: fmt.Sprintf(format, args...)}.String())
}

// origin names the environment variable that set path or a key below it.
func (d *decoder) origin(path string) string {
	if name, ok := d.origins[path]; ok {
		return name
	}
	keys := make([]string, 0, len(d.origins))
	for k := range d.origins {
		if strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	return d.origins[keys[0]]
}

// fromEnv reports whether the value at path came from the environment.
func (d *decoder) fromEnv(path string) bool {
	_, ok := d.origins[path]
	return ok
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object decodes a mapping: every key goes to its field function, in sorted
// key order; unknown keys are problems. A null value counts as absent, so the
// field keeps its default. It reports whether v was a mapping.
func (d *decoder) object(path string, v any, fields map[string]fieldFunc) bool {
	m, ok := v.(map[string]any)
	if !ok {
		d.addf(path, "must be a mapping, got %s", describe(v))
		return false
	}
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	slices.Sort(known)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := join(path, k)
		f, ok := fields[k]
		if !ok {
			d.unknownKey(p, k, known)
			continue
		}
		if m[k] != nil {
			f(p, m[k])
		}
	}
	return true
}

func (d *decoder) unknownKey(path, key string, known []string) {
	hint := ""
	if d.origin(path) != "" && strings.Contains(key, "_") {
		hint = "; levels are separated by a double underscore, as in ENTRA_ARCHIVER_LOG__LEVEL"
	}
	if s := suggest(key, known); s != "" {
		d.addf(path, "unknown key (did you mean %s?%s)", s, hint)
		return
	}
	d.addf(path, "unknown key (known: %s%s)", strings.Join(known, ", "), hint)
}

// list returns the items of a sequence. A mapping whose keys are all indexes,
// set by environment variables like ENTRA_ARCHIVER_TENANTS__0__NAME, counts
// as a sequence, and so does a comma-separated string (streams: all, or
// ENTRA_ARCHIVER_DEFAULTS__FORMATS=jsonl,csv).
func (d *decoder) list(path string, v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case string:
		var out []any
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		return out, true
	case map[string]any:
		if d.origin(path) == "" {
			break
		}
		if items, ok := indexedList(v); ok {
			return items, true
		}
	}
	d.addf(path, "must be a list, got %s", describe(v))
	return nil, false
}

// maxIndexedList bounds the list an index-keyed mapping may describe, so a
// stray ENTRA_ARCHIVER_TENANTS__99999999__NAME cannot allocate gigabytes.
const maxIndexedList = 1000

// indexedList turns {"0": a, "2": c} into [a, nil, c].
func indexedList(m map[string]any) ([]any, bool) {
	n := 0
	for k := range m {
		i, ok := listIndex(k)
		if !ok {
			return nil, false
		}
		n = max(n, i+1)
	}
	out := make([]any, n)
	for k, v := range m {
		i, _ := listIndex(k)
		out[i] = v
	}
	return out, true
}

func listIndex(k string) (int, bool) {
	i, err := strconv.Atoi(k)
	if err != nil || i < 0 || i >= maxIndexedList || strconv.Itoa(i) != k {
		return 0, false
	}
	return i, true
}

func (d *decoder) str(path string, v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int, int64, uint64, float64:
		return fmt.Sprint(v), true
	}
	d.addf(path, "must be a string, got %s", describe(v))
	return "", false
}

func (d *decoder) integer(path string, v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		if v >= math.MinInt && v <= math.MaxInt {
			return int(v), true
		}
	case uint64:
		if v <= math.MaxInt {
			return int(v), true
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int(v), true
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return n, true
		}
	}
	d.addf(path, "must be a whole number, got %s", describe(v))
	return 0, false
}

func (d *decoder) boolean(path string, v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return b, true
		}
	}
	d.addf(path, "must be true or false, got %s", describe(v))
	return false, false
}

func (d *decoder) duration(path string, v any) (time.Duration, bool) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case int:
		s = strconv.Itoa(v)
	default:
		d.addf(path, "must be a duration like 90s, 15m, 2h or 7d, got %s", describe(v))
		return 0, false
	}
	dur, err := ParseDuration(s)
	if err != nil {
		d.addf(path, "%v", err)
		return 0, false
	}
	return dur, true
}

// describe names a value's kind for "must be X, got Y" messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int, int64, uint64, float64:
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%T", v)
}

// ParseDuration parses a Go duration ("90s", "1h30m") that may start with a
// number of days ("7d", "1d12h", "1.5d"); a day is 24 hours. A bare "0" is
// zero.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil || n < 0 || math.IsInf(n, 0) || s[:i] == "" || strings.ContainsAny(s[:i], "eEnNiIxXpP_") {
			return 0, badDuration(orig)
		}
		if n*float64(24*time.Hour) >= float64(math.MaxInt64) {
			return 0, fmt.Errorf("duration %q is out of range", orig)
		}
		days = time.Duration(n * float64(24*time.Hour))
		s = s[i+1:]
		if s == "" {
			s = "0"
		}
	}
	if s == "" {
		return 0, badDuration(orig)
	}
	rest, err := time.ParseDuration(s)
	if err != nil || rest < 0 || (s[0] < '0' || s[0] > '9') && s[0] != '.' {
		return 0, badDuration(orig)
	}
	total := days + rest
	if total < days {
		return 0, fmt.Errorf("duration %q is out of range", orig)
	}
	if neg {
		total = -total
	}
	return total, nil
}

func badDuration(s string) error {
	return fmt.Errorf("bad duration %q (want e.g. 90s, 15m, 2h, 7d or 1d12h)", s)
}

// FormatDuration writes d the way the configuration is written: whole days as
// "7d", no trailing zero units ("2h", "1h30m", "1d12h").
func FormatDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			return d.String()
		}
		return "-" + FormatDuration(-d)
	}
	day := 24 * time.Hour
	var b strings.Builder
	if d >= day {
		fmt.Fprintf(&b, "%dd", d/day)
		d %= day
		if d == 0 {
			return b.String()
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	b.WriteString(s)
	return b.String()
}
