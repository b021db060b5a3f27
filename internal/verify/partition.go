package verify

import (
	"context"
	"errors"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// check verifies one partition: each blob on its own (read.Check, and its
// metadata against its name), the parts together (gaps, records stored
// twice, sibling formats, the state's count) and the manifest if sealed.
func (r *jobRun) check(ctx context.Context, p *read.Partition) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.rep.Partitions++
	ours := p.Granularity == r.job.Partition
	if ours && len(p.Parts) > 0 {
		r.withParts[p.Start] = p.NextNumber()
	}
	for _, d := range p.Doubles {
		pt, _ := p.Part(d.Number)
		first, _ := pt.Blob(d.Format)
		r.fault(d.Name, "a second %s blob of part p%03d besides %s", d.Format, d.Number, layout.BaseName(first.Name))
	}
	r.problems(r.stream.MissingParts(p))
	if p.Manifest == nil && ours {
		r.checkFormats(p)
		if r.st != nil {
			r.problems(r.stream.MissingNewest(p, r.st.PartsOf(p.Start)))
		}
	}
	checks := map[string]read.Check{}
	if err := r.merge(ctx, p, checks); err != nil {
		return err
	}
	if err := r.siblings(ctx, p, checks); err != nil {
		return err
	}
	if p.Manifest != nil {
		if err := r.checkSeal(ctx, p, checks); err != nil {
			return err
		}
	}
	r.o.Progress.Add(1)
	return nil
}

func (r *jobRun) problems(ps []read.Problem) {
	for _, p := range ps {
		r.fault(p.Blob, "%s", p.Text)
	}
}

// checkFormats reports parts of an unsealed partition that lack a configured
// format. A crash between the uploads of a part's formats leaves such a part,
// and so does adding a format to the config; the job's next run over the
// partition regenerates the missing blobs from a lossless one. A sealed
// partition is checked against its manifest instead.
func (r *jobRun) checkFormats(p *read.Partition) {
	for _, pt := range p.Parts {
		for _, f := range r.job.Formats {
			if _, ok := pt.Blob(f); ok {
				continue
			}
			missing := pt.Faithful().Part
			missing.Format = f
			r.fault(r.o.Layout.PartName(missing), "missing: the config asks for %s, and part p%03d of this unsealed partition has no %s blob", f, pt.Number, f)
		}
	}
}

// listedTwice is how many records stored twice are reported one by one per
// blob; the rest are counted, so a tampered part of many copies costs a
// fault per copy neither in memory nor on the screen.
const listedTwice = 10

// merge reads the most faithful blob of every part together, in (time, id)
// order, and reports any (id, content) stored twice. Records with the same
// content have the same event time, so a duplicate can only be met in the
// same partition, among the records sharing a (time, id); their contents
// are compared by the rule the job deduplicates by (read.Contents).
func (r *jobRun) merge(ctx context.Context, p *read.Partition, checks map[string]read.Check) error {
	m, err := r.stream.OpenParts(ctx, p)
	if err != nil {
		return err
	}
	defer m.Close()
	versions := read.Contents{Stream: r.job.Stream, Rows: p.HoldsRows()}
	var key audit.Record
	started, overflow := false, false
	twice := map[string]int{} // records stored twice, by blob
	for {
		v, err := m.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, read.ErrDamaged) {
			continue // in the part's check
		}
		if err != nil {
			return err
		}
		if !started || audit.CompareKey(&v.Record, &key) != 0 {
			started, key, overflow = true, audit.Record{Time: v.Time, ID: v.ID}, false
			versions.Reset()
			if v.Latest {
				continue // stored once
			}
		}
		if overflow {
			continue
		}
		earlier, dup, err := versions.Seen(&v)
		name := v.Reader.Blob().Name
		switch {
		case errors.Is(err, read.ErrTooManyVersions):
			r.fault(name, "%v: the job never stores more, so records stored twice among the others are not looked for", err)
			overflow = true
		case err != nil:
			return err
		case dup:
			if twice[name]++; twice[name] > listedTwice {
				continue
			}
			where := "earlier in this blob"
			if pt, ok := p.Part(earlier); ok && earlier != v.Part {
				where = "in " + layout.BaseName(pt.Faithful().Name)
			}
			r.fault(name, "record %q at %s is stored twice: the same content is %s", v.ID, audit.FormatTime(v.Time), where)
		}
	}
	for name, n := range twice {
		if n > listedTwice {
			r.fault(name, "%d more records are stored twice (the first %d are listed)", n-listedTwice, listedTwice)
		}
	}
	done, err := m.Finish()
	for _, c := range done {
		r.read(c, checks)
		r.rep.Records += c.Records
	}
	return err
}

// siblings reads every part's other formats and compares their record
// counts with the most faithful one's.
func (r *jobRun) siblings(ctx context.Context, p *read.Partition, checks map[string]read.Check) error {
	for _, pt := range p.Parts {
		first := checks[pt.Faithful().Name]
		for _, b := range pt.Blobs[1:] {
			rd, err := r.stream.Open(ctx, b)
			if err != nil {
				return err
			}
			c, err := rd.Finish()
			if err != nil {
				return err
			}
			r.read(c, checks)
			if c.Complete && first.Complete && c.Records != first.Records {
				r.fault(b.Name, "holds %d records, its sibling %s holds %d", c.Records, layout.BaseName(first.Blob.Name), first.Records)
			}
		}
	}
	return nil
}

// read notes a blob read to its end and reports what reading it found
// (read.Check: its content against its metadata, and its metadata against
// its name and the tenant).
func (r *jobRun) read(c read.Check, checks map[string]read.Check) {
	checks[c.Blob.Name] = c
	if c.SHA256 != "" { // not gone
		r.rep.Blobs++
		r.rep.Bytes += c.Size
	}
	for _, p := range c.Problems {
		r.fault(c.Blob.Name, "%s", p)
	}
}
