// Package partstest reads an archive's data blobs back for tests and checks,
// on the way, what every archive must hold whatever happened while it was
// written: each record in its own partition, records sorted, the records,
// sha256 and part metadata equal to the content, and parts numbered from
// p000 without gaps. It reads through package read, as the archiver's own
// readers do. Put stores a part as the job would, whatever it holds, for
// tests of a tampered archive.
package partstest

import (
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// Part is one data blob read back.
type Part struct {
	Name    string
	Entry   layout.Entry
	Meta    map[string]string
	Records []audit.Record
}

// Read returns every data blob of format f ("" = every format) of a
// tenant's stream with partitions of granularity g, in listing order.
// Broken invariants are test errors; a blob that cannot be read fails the
// test.
func Read(t testing.TB, sink archive.Sink, l layout.Layout, tenant string, st audit.Stream, g audit.Granularity, f string) []Part {
	t.Helper()
	s := read.Stream{Sink: sink, Layout: l, Tenant: tenant, Stream: st}
	var parts []Part
	err := s.Walk(context.Background(), s.Dir(), func(p *read.Partition) error {
		if p.Granularity != g {
			t.Errorf("partition %s is not of %s granularity", p.Label(), g)
		}
		numbers := map[string][]int{} // by format
		for _, pt := range p.Parts {
			for _, b := range pt.Blobs {
				if f != "" && b.Format != f {
					continue
				}
				numbers[b.Format] = append(numbers[b.Format], b.Number)
				part, err := readBlob(t, s, b)
				if err != nil {
					return err
				}
				parts = append(parts, part)
			}
		}
		for format, ns := range numbers {
			for i, n := range ns {
				if n != i {
					t.Errorf("partition %s %s parts %v have a gap", p.Label(), format, ns)
					break
				}
			}
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

func readBlob(t testing.TB, s read.Stream, b read.Blob) (Part, error) {
	t.Helper()
	rd, err := s.Open(context.Background(), b)
	if err != nil {
		return Part{}, err
	}
	defer rd.Close()
	var recs []audit.Record
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Part{}, err
		}
		// Inside a JSON part, versions of one record are sorted by their
		// bytes too (CSV rows are not the JSON that order is defined on).
		if n := len(recs); n > 0 && b.Format != format.CSV && audit.Compare(&recs[n-1], &rec) > 0 {
			t.Errorf("%s: records out of order at %d", b.Name, n)
		}
		recs = append(recs, rec)
	}
	check, err := rd.Finish()
	if err != nil {
		return Part{}, err
	}
	for _, problem := range check.Problems {
		t.Errorf("%s: %s", b.Name, problem)
	}
	if got := archive.MetaGet(b.Metadata, archive.MetaPart); got != strconv.Itoa(b.Number) {
		t.Errorf("%s: part metadata %s", b.Name, got)
	}
	e := layout.Entry{Partition: b.Part.Partition, Part: b.Part}
	e.Part.Tenant = ""
	return Part{Name: b.Name, Entry: e, Meta: b.Metadata, Records: slices.Clip(recs)}, nil
}
