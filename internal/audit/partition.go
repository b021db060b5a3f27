package audit

import (
	"fmt"
	"time"
)

// Granularity is how event time is cut into partitions: by UTC hour or UTC day.
type Granularity int

const (
	Hour Granularity = iota
	Day
)

// ParseGranularity accepts the config values "hour" and "day".
func ParseGranularity(s string) (Granularity, error) {
	switch s {
	case "hour":
		return Hour, nil
	case "day":
		return Day, nil
	}
	return 0, fmt.Errorf("unknown partition %q (want hour or day)", s)
}

func (g Granularity) String() string {
	if g == Day {
		return "day"
	}
	return "hour"
}

// Size is the length of one partition.
func (g Granularity) Size() time.Duration {
	if g == Day {
		return 24 * time.Hour
	}
	return time.Hour
}

// Floor truncates t (in UTC) down to the start of its partition.
func (g Granularity) Floor(t time.Time) time.Time {
	t = t.UTC()
	if g == Day {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Hour)
}

// Ceil rounds t up to a partition boundary (t itself when it is one).
func (g Granularity) Ceil(t time.Time) time.Time {
	f := g.Floor(t)
	if f.Equal(t) {
		return f
	}
	return f.Add(g.Size())
}

// Of returns the partition that holds event time t.
func (g Granularity) Of(t time.Time) Partition {
	return Partition{Start: g.Floor(t), Granularity: g}
}

// Partition is one hour or day of event time: [Start, End()).
type Partition struct {
	Start       time.Time
	Granularity Granularity
}

// End is the exclusive end of the partition.
func (p Partition) End() time.Time { return p.Start.Add(p.Granularity.Size()) }

// Window is the partition as a half-open window.
func (p Partition) Window() Window { return Window{From: p.Start, To: p.End()} }

// Next is the partition that follows p.
func (p Partition) Next() Partition { return Partition{Start: p.End(), Granularity: p.Granularity} }

// Label is the partition's part of a blob name: 20261127T03Z (hour) or
// 20261127Z (day).
func (p Partition) Label() string {
	if p.Granularity == Day {
		return p.Start.Format("20060102Z")
	}
	return p.Start.Format("20060102T15Z")
}

// Dir is the Hive-style folder of the partition: y=2026/m=11/d=27/h=03 (hour)
// or y=2026/m=11/d=27 (day).
func (p Partition) Dir() string {
	if p.Granularity == Day {
		return p.Start.Format("y=2006/m=01/d=02")
	}
	return p.Start.Format("y=2006/m=01/d=02/h=15")
}

func (p Partition) String() string { return p.Label() }

// Partitions lists the partitions that overlap w, oldest first.
func (g Granularity) Partitions(w Window) []Partition {
	var out []Partition
	for p := g.Of(w.From); p.Start.Before(w.To); p = p.Next() {
		out = append(out, p)
	}
	return out
}
