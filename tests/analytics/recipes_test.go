package analytics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is where go test runs this package from, two levels up.
const repoRoot = "../.."

// recipe is one SQL block of the document and the check above it.
type recipe struct {
	line  int    // of the opening fence
	check string // what follows "check:"
	sql   string
}

var checkComment = regexp.MustCompile(`^<!--\s*check:\s*(.*?)\s*-->$`)

// parseRecipes returns every ```sql block of a Markdown file. Each must be
// preceded (blank lines aside) by a <!-- check: … --> comment.
func parseRecipes(t *testing.T, path string) []recipe {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []recipe
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		lang := strings.TrimPrefix(fence, "```")
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		if end == len(lines) {
			t.Fatalf("%s:%d: unclosed code block", path, i+1)
		}
		if lang == "sql" {
			r := recipe{line: i + 1, sql: strings.Join(lines[i+1:end], "\n")}
			prev := i - 1
			for prev >= 0 && strings.TrimSpace(lines[prev]) == "" {
				prev--
			}
			if prev < 0 {
				t.Fatalf("%s:%d: SQL block without a <!-- check: … --> comment above it", path, i+1)
			}
			m := checkComment.FindStringSubmatch(strings.TrimSpace(lines[prev]))
			if m == nil {
				t.Fatalf("%s:%d: SQL block without a <!-- check: … --> comment above it: every recipe must be checked", path, i+1)
			}
			r.check = m[1]
			out = append(out, r)
		}
		i = end
	}
	if len(out) == 0 {
		t.Fatalf("%s: no SQL blocks", path)
	}
	return out
}

// result is what DuckDB answered to one block (testdata/duckdb.mjs).
type result struct {
	Columns []struct{ Name, Type string }
	Rows    [][]json.RawMessage
	Error   string
	Ms      int
}

// cells renders a result's rows as text: strings as they are, numbers,
// lists and NULL (as "null") as DuckDB's JSON rendering writes them, and
// instants (TIMESTAMPTZ, which the Node client writes in the process's time
// zone) in UTC, as duckTime does.
func (r *result) cells() [][]string {
	out := make([][]string, len(r.Rows))
	for i, row := range r.Rows {
		for j, c := range row {
			var s string
			if len(c) > 0 && c[0] == '"' {
				if err := json.Unmarshal(c, &s); err != nil {
					panic(err)
				}
			} else {
				s = string(c)
			}
			if j < len(r.Columns) && r.Columns[j].Type == "TIMESTAMP WITH TIME ZONE" && s != "null" {
				s = utcInstant(s)
			}
			out[i] = append(out[i], s)
		}
	}
	return out
}

// utcInstant rewrites DuckDB's rendering of a TIMESTAMPTZ
// ("2026-12-01 04:51:05.315841-08") in UTC; text it cannot parse is
// returned as it is, to fail the comparison visibly.
func utcInstant(s string) string {
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00"} {
		if ts, err := time.Parse(layout, s); err == nil {
			return duckTime(ts)
		}
	}
	return s
}

func (r *result) types() []string {
	var out []string
	for _, c := range r.Columns {
		out = append(out, c.Type)
	}
	return out
}

// runDuckDB runs the blocks in one DuckDB session with dir as the working
// directory and a machine time zone that is not UTC.
func runDuckDB(t *testing.T, node, dir string, blocks []string) (string, []result) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "duckdb.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(map[string]any{"blocks": blocks})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TZ=America/Los_Angeles")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	var out struct {
		Version string
		Results []result
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	if len(out.Results) != len(blocks) {
		t.Fatalf("node %s: %d results for %d blocks", script, len(out.Results), len(blocks))
	}
	return out.Version, out.Results
}

// requireDuckDB returns the node binary, or skips the test when Node.js or
// the npm packages are missing, except in CI, where it must run.
func requireDuckDB(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI must run the DuckDB recipes of docs/analytics.md", what)
		}
		t.Skipf("%s: the DuckDB recipes of docs/analytics.md are not checked", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("Node.js (node) is not installed")
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "node_modules", "@duckdb", "node-api", "package.json")); err != nil {
		missing("DuckDB's npm package is not installed (run npm ci at the repository root)")
	}
	return node
}

// TestAnalyticsRecipes runs every SQL block of docs/analytics.md against
// an archive and checks each result against what the archive holds.
func TestAnalyticsRecipes(t *testing.T) {
	node := requireDuckDB(t)
	docPath := filepath.Join(repoRoot, "docs", "analytics.md")
	recipes := parseRecipes(t, docPath)

	dir := t.TempDir()
	started := time.Now()
	buildArchive(t, dir)
	tr := readTruth(t, filepath.Join(dir, "demo-archive", "demo"))
	t.Logf("archive built and read in %s: %d files below the tenant, %d manifests", time.Since(started).Round(time.Millisecond), tr.blobs, tr.manifests)
	if tr.manifests == 0 {
		t.Fatal("no partition is sealed: the glob is not shown to skip manifests")
	}

	blocks := make([]string, len(recipes))
	for i, r := range recipes {
		blocks[i] = r.sql
	}
	started = time.Now()
	version, results := runDuckDB(t, node, dir, blocks)
	t.Logf("DuckDB %s ran %d blocks in %s", version, len(blocks), time.Since(started).Round(time.Millisecond))
	checkVersions(t, docPath, version)

	for i, r := range recipes {
		res := &results[i]
		name := fmt.Sprintf("%s:%d (%s)", filepath.Base(docPath), r.line, r.check)
		kind, rest, _ := strings.Cut(r.check, " ")
		check, ok := checks[kind]
		if !ok {
			t.Errorf("%s: unknown check %q", name, kind)
			continue
		}
		if kind != "error" && res.Error != "" {
			t.Errorf("%s: DuckDB failed: %s\n%s", name, res.Error, r.sql)
			continue
		}
		if err := check(tr, strings.TrimSpace(rest), res); err != nil {
			t.Errorf("%s: %v\n%s", name, err, r.sql)
		}
	}
}

// checkVersions holds the document to the DuckDB it names.
func checkVersions(t *testing.T, docPath, version string) {
	t.Helper()
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(repoRoot, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(pkg, &p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DuckDB " + strings.TrimPrefix(version, "v") + ",",
		"`@duckdb/node-api` " + p.DevDependencies["@duckdb/node-api"],
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("%s does not name the DuckDB it is tested with: %q", docPath, want)
		}
	}
}

// checks maps a check's first word to its verification; args is the rest
// of the comment.
var checks = map[string]func(tr *archiveTruth, args string, r *result) error{
	// versions STREAM: one cell, the number of archived lines.
	"versions": func(tr *archiveTruth, args string, r *result) error {
		stream, err := tr.stream(args)
		if err != nil {
			return err
		}
		return sameRows(r.cells(), [][]string{{strconv.Itoa(len(tr.versions[stream]))}})
	},
	// streams: per stream, versions, records and the difference.
	"streams": func(tr *archiveTruth, _ string, r *result) error {
		var want [][]string
		for _, st := range sortedKeys(tr.versions) {
			v, n := len(tr.versions[st]), len(tr.latest(st))
			want = append(want, []string{st, strconv.Itoa(v), strconv.Itoa(n), strconv.Itoa(v - n)})
		}
		return sameRows(r.cells(), want)
	},
	// hours STREAM DATE: per hour partition of the day, versions and
	// records, with integer partition columns; the day must be whole.
	"hours": func(tr *archiveTruth, args string, r *result) error {
		stream, day, err := tr.streamDay(args)
		if err != nil {
			return err
		}
		versions, ids := map[time.Time]int{}, map[time.Time]map[string]bool{}
		for _, v := range tr.versions[stream] {
			if v.partition.Truncate(24 * time.Hour).Equal(day) {
				versions[v.partition]++
				if ids[v.partition] == nil {
					ids[v.partition] = map[string]bool{}
				}
				ids[v.partition][v.id] = true
			}
		}
		if len(versions) != 24 {
			return fmt.Errorf("the archive holds %d hours of %s, not a whole day: the test proves less than it should", len(versions), day.Format(time.DateOnly))
		}
		var want [][]string
		for _, h := range sortedTimes(versions) {
			want = append(want, []string{strconv.Itoa(h.Year()), strconv.Itoa(int(h.Month())), strconv.Itoa(h.Day()), strconv.Itoa(h.Hour()),
				strconv.Itoa(versions[h]), strconv.Itoa(len(ids[h]))})
		}
		if got := r.types(); len(got) < 4 || !slices.Equal(got[:4], []string{"INTEGER", "INTEGER", "INTEGER", "INTEGER"}) {
			return fmt.Errorf("partition columns typed %v, want INTEGER", got)
		}
		return sameRows(r.cells(), want)
	},
	// prunes STREAM DATE: EXPLAIN says DuckDB scans the day's parts only.
	"prunes": func(tr *archiveTruth, args string, r *result) error {
		stream, day, err := tr.streamDay(args)
		if err != nil {
			return err
		}
		dayParts := 0
		for _, p := range tr.parts[stream] {
			if p.Truncate(24 * time.Hour).Equal(day) {
				dayParts++
			}
		}
		var plan strings.Builder
		for _, row := range r.cells() {
			plan.WriteString(strings.Join(row, "\n"))
		}
		m := regexp.MustCompile(`Scanning Files:[\s│]*(\d+)/(\d+)`).FindStringSubmatch(plan.String())
		if m == nil {
			return fmt.Errorf("the plan does not say which files it scans:\n%s", plan.String())
		}
		if scanned, total := atoi(m[1]), atoi(m[2]); scanned != dayParts || total != len(tr.parts[stream]) {
			return fmt.Errorf("the plan scans %d of %d files, want the day's %d parts of the stream's %d", scanned, total, dayParts, len(tr.parts[stream]))
		}
		return nil
	},
	// days STREAM: records (latest versions) per UTC day of event time.
	"days": func(tr *archiveTruth, args string, r *result) error {
		stream, err := tr.stream(args)
		if err != nil {
			return err
		}
		perDay := map[time.Time]int{}
		for _, v := range tr.latest(stream) {
			perDay[v.time.Truncate(24*time.Hour)]++
		}
		var want [][]string
		for _, d := range sortedTimes(perDay) {
			want = append(want, []string{d.Format(time.DateOnly), strconv.Itoa(perDay[d])})
		}
		if got := r.types(); len(got) == 0 || got[0] != "DATE" {
			return fmt.Errorf("day typed %v, want DATE", got)
		}
		return sameRows(r.cells(), want)
	},
	// latest STREAM: id, part, event time and JSON of each record's latest
	// version, each record once.
	"latest": func(tr *archiveTruth, args string, r *result) error {
		stream, err := tr.stream(args)
		if err != nil {
			return err
		}
		var want [][]string
		for id, v := range tr.latest(stream) {
			want = append(want, []string{id, strconv.Itoa(v.part), duckTime(v.time), v.raw})
		}
		if len(want) == len(tr.versions[stream]) {
			return fmt.Errorf("no record of %s has two versions: the test proves nothing", stream)
		}
		got := r.cells()
		sortRows(want)
		sortRows(got)
		return sameRows(got, want)
	},
	// revised STREAM: the records with more than one version, their count
	// and parts.
	"revised": func(tr *archiveTruth, args string, r *result) error {
		stream, err := tr.stream(args)
		if err != nil {
			return err
		}
		parts := map[string][]int{}
		for _, v := range tr.versions[stream] {
			parts[v.id] = append(parts[v.id], v.part)
		}
		var want [][]string
		for _, id := range sortedKeys(parts) {
			if ps := parts[id]; len(ps) > 1 {
				slices.Sort(ps)
				list, _ := json.Marshal(ps)
				want = append(want, []string{id, strconv.Itoa(len(ps)), string(list)})
			}
		}
		if len(want) == 0 {
			return fmt.Errorf("no record of %s was revised: the test proves nothing", stream)
		}
		return sameRows(r.cells(), want)
	},
	// failures STREAM N: the N users with most records (latest versions)
	// whose status.errorCode is not 0, with the latest such event.
	"failures": func(tr *archiveTruth, args string, r *result) error {
		name, nText, _ := strings.Cut(args, " ")
		stream, err := tr.stream(name)
		if err != nil {
			return err
		}
		n := atoi(nText)
		count, last := map[string]int{}, map[string]time.Time{}
		for _, v := range tr.latest(stream) {
			var rec struct {
				UserPrincipalName *string
				Status            *struct{ ErrorCode *json.Number }
			}
			if err := json.Unmarshal([]byte(v.raw), &rec); err != nil {
				return err
			}
			if rec.Status == nil || rec.Status.ErrorCode == nil || *rec.Status.ErrorCode == "0" {
				continue
			}
			if rec.UserPrincipalName == nil {
				return fmt.Errorf("record %s has no userPrincipalName: the check does not handle NULL", v.id)
			}
			upn := *rec.UserPrincipalName
			count[upn]++
			if v.time.After(last[upn]) {
				last[upn] = v.time
			}
		}
		users := sortedKeys(count)
		sort.SliceStable(users, func(i, j int) bool { return count[users[i]] > count[users[j]] })
		if len(users) <= n {
			return fmt.Errorf("only %d users with failures: the limit proves nothing", len(users))
		}
		var want [][]string
		for _, u := range users[:n] {
			want = append(want, []string{u, strconv.Itoa(count[u]), duckTime(last[u])})
		}
		return sameRows(r.cells(), want)
	},
	// target-types records|versions: directory-audit targets per type,
	// spelled "type" or "Type", over the latest or all versions.
	"target-types": func(tr *archiveTruth, args string, r *result) error {
		vs := tr.versions["directory-audits"]
		switch args {
		case "versions":
		case "records":
			vs = nil
			for _, v := range tr.latest("directory-audits") {
				vs = append(vs, v)
			}
		default:
			return fmt.Errorf("target-types %q: want records or versions", args)
		}
		perType := map[string]int{}
		upper := 0
		for _, v := range vs {
			targets, err := auditTargets(v.raw)
			if err != nil {
				return err
			}
			for _, tg := range targets {
				typ, lost := targetType(tg)
				if lost {
					upper++
				}
				perType[typ]++
			}
		}
		if upper == 0 {
			return fmt.Errorf("no target spells its type \"Type\": the test proves nothing")
		}
		var want [][]string
		for _, typ := range sortedKeys(perType) { // "null" would sort last, as NULL does
			want = append(want, []string{typ, strconv.Itoa(perType[typ])})
		}
		return sameRows(r.cells(), want)
	},
	// type-lost: one cell, the number of audit targets (all versions)
	// whose type is spelled "Type" only.
	"type-lost": func(tr *archiveTruth, _ string, r *result) error {
		lost := 0
		for _, v := range tr.versions["directory-audits"] {
			targets, err := auditTargets(v.raw)
			if err != nil {
				return err
			}
			for _, tg := range targets {
				if _, upper := targetType(tg); upper {
					lost++
				}
			}
		}
		if lost == 0 {
			return fmt.Errorf("no target spells its type \"Type\": the test proves nothing")
		}
		return sameRows(r.cells(), [][]string{{strconv.Itoa(lost)}})
	},
	// json-files STREAM: one cell, the stream's versions plus its files
	// named *.json (sidecars and manifests), one row each.
	"json-files": func(tr *archiveTruth, args string, r *result) error {
		stream, err := tr.stream(args)
		if err != nil {
			return err
		}
		if tr.jsonFiles[stream] == 0 {
			return fmt.Errorf("%s has no .json files: the test proves nothing", stream)
		}
		return sameRows(r.cells(), [][]string{{strconv.Itoa(len(tr.versions[stream]) + tr.jsonFiles[stream])}})
	},
	// cells A B …: exactly one row with these cells.
	"cells": func(_ *archiveTruth, args string, r *result) error {
		return sameRows(r.cells(), [][]string{strings.Fields(args)})
	},
	// error TEXT: DuckDB refuses the block with a message containing TEXT.
	"error": func(_ *archiveTruth, args string, r *result) error {
		if r.Error == "" {
			return fmt.Errorf("DuckDB ran the block without the error the document promises (%q): update the pitfall; it answered %v", args, r.cells())
		}
		if !strings.Contains(r.Error, args) {
			return fmt.Errorf("DuckDB failed with %q, the document says %q", r.Error, args)
		}
		return nil
	},
}

// auditTargets returns a directory audit's targetResources entries.
func auditTargets(raw string) ([]map[string]json.RawMessage, error) {
	var rec struct {
		TargetResources json.RawMessage `json:"targetResources"`
	}
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return nil, err
	}
	var targets []map[string]json.RawMessage
	if len(rec.TargetResources) > 0 && rec.TargetResources[0] == '[' {
		if err := json.Unmarshal(rec.TargetResources, &targets); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// targetType is coalesce(type, Type) of a target ("null" when neither is
// a string), and whether it came from "Type". encoding/json would match
// the keys case-insensitively: the map keeps them apart.
func targetType(tg map[string]json.RawMessage) (string, bool) {
	for _, key := range []string{"type", "Type"} {
		var s *string
		if raw, ok := tg[key]; ok && json.Unmarshal(raw, &s) == nil && s != nil {
			return *s, key == "Type"
		}
	}
	return "null", false
}

func sameRows(got, want [][]string) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d; first rows %v, want %v", len(got), len(want), head(got), head(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			return fmt.Errorf("row %d is %v, want %v", i+1, clip(got[i]), clip(want[i]))
		}
	}
	return nil
}

func head(rows [][]string) [][]string {
	if len(rows) > 3 {
		rows = rows[:3]
	}
	var out [][]string
	for _, r := range rows {
		out = append(out, clip(r))
	}
	return out
}

// clip shortens long cells (records) for messages.
func clip(row []string) []string {
	out := slices.Clone(row)
	for i, c := range out {
		if len(c) > 120 {
			out[i] = c[:120] + "…"
		}
	}
	return out
}

func sortRows(rows [][]string) {
	sort.Slice(rows, func(i, j int) bool { return slices.Compare(rows[i], rows[j]) < 0 })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedTimes[V any](m map[time.Time]V) []time.Time {
	keys := make([]time.Time, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b time.Time) int { return a.Compare(b) })
	return keys
}

func (tr *archiveTruth) streamDay(args string) (string, time.Time, error) {
	name, dayText, _ := strings.Cut(args, " ")
	stream, err := tr.stream(name)
	if err != nil {
		return "", time.Time{}, err
	}
	day, err := time.Parse(time.DateOnly, dayText)
	return stream, day, err
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
