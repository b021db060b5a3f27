// Package partstest reads an archive's data blobs back for tests and checks,
// on the way, what every archive must hold whatever happened while it was
// written: each record in its own partition, records sorted, the records
// and part metadata equal to the content, and parts numbered from p000
// without gaps.
package partstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
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
	ctx := context.Background()
	var parts []Part
	numbers := map[string][]int{} // by partition and format
	err := sink.List(ctx, l.StreamDir(tenant, st.Name), func(o archive.Object) error {
		e, ok := layout.ParseName(st.Name, layout.BaseName(o.Name))
		if !ok || e.Manifest || (f != "" && e.Part.Format != f) {
			return nil
		}
		recs, err := read(ctx, sink, o.Name, e.Part, st)
		if err != nil {
			return err
		}
		// CSV rows are not the JSON the content order is defined on.
		cmp := audit.Compare
		if e.Part.Format == format.CSV {
			cmp = audit.CompareKey
		}
		for i := range recs {
			if g.Of(recs[i].Time) != e.Partition {
				t.Errorf("%s: record %s at %s is outside its partition", o.Name, recs[i].ID, recs[i].Time)
			}
			if i > 0 && cmp(&recs[i-1], &recs[i]) > 0 {
				t.Errorf("%s: records out of order at %d", o.Name, i)
			}
		}
		if got := archive.MetaGet(o.Metadata, archive.MetaRecords); got != strconv.Itoa(len(recs)) {
			t.Errorf("%s: records metadata %s, content %d", o.Name, got, len(recs))
		}
		if got := archive.MetaGet(o.Metadata, archive.MetaPart); got != strconv.Itoa(e.Part.Number) {
			t.Errorf("%s: part metadata %s", o.Name, got)
		}
		key := e.Partition.Label() + " " + e.Part.Format
		numbers[key] = append(numbers[key], e.Part.Number)
		parts = append(parts, Part{Name: o.Name, Entry: e, Meta: o.Metadata, Records: recs})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, ns := range numbers {
		slices.Sort(ns)
		for i, n := range ns {
			if n != i {
				t.Errorf("partition %s parts %v have a gap", key, ns)
				break
			}
		}
	}
	return parts
}

func read(ctx context.Context, sink archive.Sink, name string, p layout.Part, st audit.Stream) ([]audit.Record, error) {
	rc, err := sink.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var r io.Reader = rc
	if p.Gzip {
		zr, err := format.NewGzipReader(rc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	rd, err := format.NewReader(p.Format, st, r)
	if err != nil {
		return nil, err
	}
	var recs []audit.Record
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		recs = append(recs, rec)
	}
}
