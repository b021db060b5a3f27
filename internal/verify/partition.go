package verify

import (
	"bytes"
	"context"
	"slices"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// group is the listing of one partition: its parts and its manifest.
type group struct {
	p        audit.Partition
	parts    map[int]map[string]stored // part number → format → blob
	manifest *archive.Object
}

func newGroup(p audit.Partition) *group {
	return &group{p: p, parts: map[int]map[string]stored{}}
}

func (g *group) add(r *jobRun, e layout.Entry, o archive.Object) {
	if e.Manifest {
		g.manifest = &o
		return
	}
	byFormat := g.parts[e.Part.Number]
	if byFormat == nil {
		byFormat = map[string]stored{}
		g.parts[e.Part.Number] = byFormat
	}
	if other, dup := byFormat[e.Part.Format]; dup {
		r.fault(o.Name, "a second %s blob of part p%03d besides %s", e.Part.Format, e.Part.Number, layout.BaseName(other.obj.Name))
		return
	}
	byFormat[e.Part.Format] = stored{part: e.Part, obj: o}
}

func (g *group) numbers() []int {
	ns := make([]int, 0, len(g.parts))
	for n := range g.parts {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// formats lists part n's formats in fidelity order: the first is the one its
// records are read from.
func (g *group) formats(n int) []string {
	var fs []string
	for _, f := range layout.Formats {
		if _, ok := g.parts[n][f]; ok {
			fs = append(fs, f)
		}
	}
	return fs
}

// check verifies one partition's blobs: each blob on its own, the parts
// together (gaps, duplicates, sibling formats) and the manifest if sealed.
func (r *jobRun) check(ctx context.Context, g *group) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.rep.Partitions++
	numbers := g.numbers()
	if len(numbers) > 0 && g.p.Granularity == r.job.Partition {
		r.withParts[g.p.Start] = numbers[len(numbers)-1] + 1
	}
	r.checkGaps(g, numbers)
	if g.manifest == nil && g.p.Granularity == r.job.Partition {
		r.checkFormats(g, numbers)
	}
	results := map[string]blobResult{}
	if err := r.merge(ctx, g, numbers, results); err != nil {
		return err
	}
	for _, n := range numbers {
		fs := g.formats(n)
		first := results[g.parts[n][fs[0]].obj.Name]
		for _, f := range fs[1:] {
			s := g.parts[n][f]
			b, err := r.openBlob(ctx, s, g.p.Window())
			if err != nil {
				return err
			}
			if err := b.readAll(); err != nil {
				return err
			}
			res, err := r.finish(b)
			if err != nil {
				return err
			}
			results[s.obj.Name] = res
			if res.parsed && first.parsed && res.records != first.records {
				r.fault(s.obj.Name, "holds %d records, its sibling %s holds %d", res.records,
					layout.BaseName(g.parts[n][fs[0]].obj.Name), first.records)
			}
		}
	}
	if g.manifest != nil {
		if err := r.checkManifest(ctx, g, results); err != nil {
			return err
		}
	}
	r.o.Progress.Add(1)
	return nil
}

// checkGaps reports part numbers missing below the highest one.
func (r *jobRun) checkGaps(g *group, numbers []int) {
	if len(numbers) == 0 {
		return
	}
	last := numbers[len(numbers)-1]
	like := g.parts[numbers[0]][g.formats(numbers[0])[0]].part
	for n := 0; n < last; n++ {
		if _, ok := g.parts[n]; ok {
			continue
		}
		missing := like
		missing.Tenant, missing.Number = r.job.Tenant, n
		r.fault(r.o.Layout.PartName(missing), "missing: partition %s has parts up to p%03d, numbered without gaps, but no p%03d",
			g.p.Label(), last, n)
	}
}

// checkFormats reports parts of an unsealed partition that lack a configured
// format. A crash between the uploads of a part's formats leaves such a part,
// and so does adding a format to the config; the job's next run over the
// partition regenerates the missing blobs from a lossless one. A sealed
// partition is checked against its manifest instead.
func (r *jobRun) checkFormats(g *group, numbers []int) {
	for _, n := range numbers {
		like := g.parts[n][g.formats(n)[0]].part
		for _, f := range r.job.Formats {
			if _, ok := g.parts[n][f]; ok {
				continue
			}
			missing := like
			missing.Format = f
			r.fault(r.o.Layout.PartName(missing), "missing: the config asks for %s, and part p%03d of this unsealed partition has no %s blob", f, n, f)
		}
	}
}

// member is one record met in the merge, with the blob it came from.
type member struct {
	rec  audit.Record
	blob *blobReader
}

// merge reads the most faithful blob of every part together, in (time, id)
// order, and reports any (id, content) stored twice. Records with the same
// content have the same event time, so a duplicate can only be met in the
// same partition, among the records sharing a (time, id).
func (r *jobRun) merge(ctx context.Context, g *group, numbers []int, results map[string]blobResult) (err error) {
	cursors := make([]*blobReader, 0, len(numbers))
	defer func() {
		if err != nil {
			for _, c := range cursors {
				c.close()
			}
		}
	}()
	for _, n := range numbers {
		b, err := r.openBlob(ctx, g.parts[n][g.formats(n)[0]], g.p.Window())
		if err != nil {
			return err
		}
		cursors = append(cursors, b)
		if err := b.advance(); err != nil {
			return err
		}
	}
	var same []member
	for {
		var least *blobReader
		for _, c := range cursors {
			if c.ok && (least == nil || audit.CompareKey(&c.cur, &least.cur) < 0) {
				least = c
			}
		}
		if least == nil {
			break
		}
		key := audit.Record{Time: least.cur.Time, ID: least.cur.ID}
		same = same[:0]
		for _, c := range cursors {
			for c.ok && audit.CompareKey(&c.cur, &key) == 0 {
				same = append(same, member{rec: c.cur, blob: c})
				if err := c.advance(); err != nil {
					return err
				}
			}
		}
		r.checkDuplicates(same)
	}
	for _, c := range cursors {
		res, err := r.finish(c)
		if err != nil {
			return err
		}
		results[c.s.obj.Name] = res
		r.rep.Records += res.records
	}
	return nil
}

// checkDuplicates reports every record of same (records sharing a time and
// id) whose content an earlier one already has.
func (r *jobRun) checkDuplicates(same []member) {
	for j := 1; j < len(same); j++ {
		for i := range j {
			if !r.sameContent(&same[i], &same[j]) {
				continue
			}
			where := "earlier in this blob"
			if same[i].blob != same[j].blob {
				where = "in " + layout.BaseName(same[i].blob.s.obj.Name)
			}
			rec := same[j].rec
			r.fault(same[j].blob.s.obj.Name, "record %q at %s is stored twice: the same content is %s",
				rec.ID, audit.FormatTime(rec.Time), where)
			break
		}
	}
}

// sameContent compares two records as stored; a csv row is compared with a
// JSON record by encoding the record as that row, as the job does when it
// deduplicates.
func (r *jobRun) sameContent(a, b *member) bool {
	fa, fb := a.blob.s.part.Format, b.blob.s.part.Format
	if (fa == format.CSV) == (fb == format.CSV) {
		return bytes.Equal(a.rec.Raw, b.rec.Raw)
	}
	row, js := a, b
	if fb == format.CSV {
		row, js = b, a
	}
	key, err := format.ContentKey(format.CSV, r.job.Stream, &js.rec)
	return err == nil && bytes.Equal(key, row.rec.Raw)
}

// p000 is the name the first part of p has under the configured output.
func (r *jobRun) p000(p audit.Partition) string { return r.partName(p, 0) }

// partName is the name part n of p has in the most faithful configured
// format.
func (r *jobRun) partName(p audit.Partition, n int) string {
	f := layout.FormatJSONL
	for _, lf := range layout.Formats {
		if slices.Contains(r.job.Formats, lf) {
			f = lf
			break
		}
	}
	return r.o.Layout.PartName(layout.Part{Tenant: r.job.Tenant, Stream: r.job.Stream.Name,
		Partition: p, Number: n, Format: f, Gzip: r.job.Gzip})
}
