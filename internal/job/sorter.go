package job

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/scratch"
)

// SortBudget is the memory that the sorters of one process share. Each sorter
// may always hold a small floor of records (1/32 of the budget); beyond that
// it takes grants (1/16 each) from the shared budget while any are left and
// spills a sorted run when none is. One tenant backfilling six streams at once
// therefore holds no more than a single backfill would, and hundreds of small
// incremental runs cost only what they hold.
type SortBudget struct {
	total int64
	free  atomic.Int64
}

// NewSortBudget returns a budget of bytes: 0 or less is the default of
// 64 MiB, and anything else at least 4 KiB (tests use tiny budgets to make
// every batch spill).
func NewSortBudget(bytes int) *SortBudget {
	if bytes <= 0 {
		bytes = defaultSortMemory
	}
	b := &SortBudget{total: max(int64(bytes), 4<<10)}
	b.free.Store(b.total)
	return b
}

func (b *SortBudget) floor() int { return int(b.total / 32) }
func (b *SortBudget) grant() int { return int(b.total / 16) }

// take reserves n bytes if that many are free.
func (b *SortBudget) take(n int) bool {
	for {
		free := b.free.Load()
		if free < int64(n) {
			return false
		}
		if b.free.CompareAndSwap(free, free-int64(n)) {
			return true
		}
	}
}

func (b *SortBudget) give(n int) { b.free.Add(int64(n)) }

// sorter collects the records of a batch in any order and returns them sorted
// by audit.Compare. Graph serves sign-ins newest first while parts are written
// oldest first, and a partition can hold millions of records, so the sorter
// keeps records in memory only within its share of the SortBudget and spills
// sorted runs to a temporary file beyond that (an external merge sort):
// memory stays flat however large the partition and however many jobs run.
//
// Record bytes are copied into an arena of large chunks that is reused after
// every spill, so filling the budget again allocates nothing and the garbage
// collector sees a few large objects instead of one per record.
type sorter struct {
	dir    string
	budget *SortBudget
	held   int // bytes granted from budget beyond the floor
	mem    []audit.Record
	arena  arena
	used   int
	// Sorted runs are consecutive sections of one unlinked file, so a
	// partition spilled a thousand times still costs one descriptor.
	file  *os.File
	end   int64
	runs  []spillRun
	count int
}

type spillRun struct{ off, n int64 }

func newSorter(dir string, budget *SortBudget) *sorter {
	return &sorter{dir: dir, budget: budget}
}

// recordOverhead approximates the bookkeeping bytes of one in-memory record.
const recordOverhead = 96

// Add copies rec into the sorter.
func (s *sorter) Add(rec audit.Record) error {
	rec.Raw = s.arena.copy(rec.Raw)
	s.mem = append(s.mem, rec)
	s.used += len(rec.Raw) + len(rec.ID) + recordOverhead
	s.count++
	for s.used >= s.budget.floor()+s.held {
		if !s.budget.take(s.budget.grant()) {
			return s.spill()
		}
		s.held += s.budget.grant()
	}
	return nil
}

// arena hands out copies of byte slices from chunks that grow from
// minChunk to maxChunk, so a small batch costs little and a large one few
// allocations. reset makes every chunk reusable.
type arena struct {
	chunks [][]byte
	cur    int // index of the chunk being filled
}

const (
	minChunk = 32 << 10
	maxChunk = 1 << 20
)

func (a *arena) copy(b []byte) []byte {
	if len(b) > maxChunk/4 {
		// Rare huge records get their own allocation rather than waste
		// the rest of a chunk.
		return append([]byte(nil), b...)
	}
	for ; a.cur < len(a.chunks); a.cur++ {
		c := a.chunks[a.cur]
		if cap(c)-len(c) >= len(b) {
			n := len(c)
			a.chunks[a.cur] = append(c, b...)
			return a.chunks[a.cur][n : n+len(b) : n+len(b)]
		}
	}
	size := minChunk
	if n := len(a.chunks); n > 0 {
		size = min(2*cap(a.chunks[n-1]), maxChunk)
	}
	c := append(make([]byte, 0, max(size, len(b))), b...)
	a.chunks = append(a.chunks, c)
	return c[:len(b):len(b)]
}

func (a *arena) reset() {
	for i := range a.chunks {
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}

// Len is the number of records added.
func (s *sorter) Len() int { return s.count }

func (s *sorter) spill() error {
	slices.SortFunc(s.mem, func(a, b audit.Record) int { return audit.Compare(&a, &b) })
	if s.file == nil {
		// Unnamed: it lives only as long as the open handle, so a crash
		// leaves nothing behind.
		f, err := scratch.File(s.dir, "entra-archiver-run-*")
		if err != nil {
			return fmt.Errorf("spill sorted run: %w", err)
		}
		s.file = f
	}
	w := bufio.NewWriterSize(io.NewOffsetWriter(s.file, s.end), 1<<20)
	var hdr [3 * binary.MaxVarintLen64]byte
	var n int64
	for i := range s.mem {
		r := &s.mem[i]
		h := binary.PutVarint(hdr[:], r.Time.UnixNano())
		h += binary.PutUvarint(hdr[h:], uint64(len(r.ID)))
		h += binary.PutUvarint(hdr[h:], uint64(len(r.Raw)))
		w.Write(hdr[:h])
		w.WriteString(r.ID)
		w.Write(r.Raw)
		n += int64(h + len(r.ID) + len(r.Raw))
	}
	// bufio.Writer keeps its first error and returns it from Flush.
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spill sorted run: %w", err)
	}
	s.runs = append(s.runs, spillRun{off: s.end, n: n})
	s.end += n
	// Clearing drops the references to huge records and ids, so stale
	// entries past the slice's length keep nothing alive.
	clear(s.mem)
	s.mem = s.mem[:0]
	s.arena.reset()
	s.used = 0
	s.release()
	return nil
}

// release returns the grants beyond the floor to the shared budget.
func (s *sorter) release() {
	s.budget.give(s.held)
	s.held = 0
}

// Close releases the spill file and the memory.
func (s *sorter) Close() {
	if s.file != nil {
		scratch.Close(s.file)
		s.file = nil
	}
	s.runs = nil
	s.mem = nil
	s.arena = arena{}
	s.release()
}

// recordIter yields records in order; Next returns io.EOF at the end.
type recordIter interface {
	Next() (audit.Record, error)
}

// Sorted returns an iterator over every record added, sorted. The sorter must
// not be used for adding afterwards.
func (s *sorter) Sorted() (recordIter, error) {
	slices.SortFunc(s.mem, func(a, b audit.Record) int { return audit.Compare(&a, &b) })
	if len(s.runs) == 0 {
		return &sliceIter{recs: s.mem}, nil
	}
	if len(s.mem) > 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	// The merge reads from the file only: let the memory go.
	s.mem, s.arena = nil, arena{}
	s.release()
	// Read buffers share a fixed total, so that a thousand short runs (a
	// large partition sorted while memory was scarce) cost no more than a
	// few long ones.
	bufSize := min(max(mergeBuffers/len(s.runs), 16<<10), 256<<10)
	m := &mergeIter{}
	for _, rn := range s.runs {
		r := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(s.file, rn.off, rn.n), bufSize)}
		if err := m.push(r); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type sliceIter struct {
	recs []audit.Record
	i    int
}

func (it *sliceIter) Next() (audit.Record, error) {
	if it.i >= len(it.recs) {
		return audit.Record{}, io.EOF
	}
	it.i++
	return it.recs[it.i-1], nil
}

// mergeBuffers is the total size of the read buffers of one merge.
const mergeBuffers = 8 << 20

type runReader struct {
	r *bufio.Reader
}

func (rr *runReader) Next() (audit.Record, error) {
	ns, err := binary.ReadVarint(rr.r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return audit.Record{}, io.EOF
		}
		return audit.Record{}, fmt.Errorf("read sorted run: %w", err)
	}
	idLen, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return audit.Record{}, fmt.Errorf("read sorted run: %w", err)
	}
	rawLen, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return audit.Record{}, fmt.Errorf("read sorted run: %w", err)
	}
	buf := make([]byte, idLen+rawLen)
	if _, err := io.ReadFull(rr.r, buf); err != nil {
		return audit.Record{}, fmt.Errorf("read sorted run: %w", err)
	}
	return audit.Record{ID: string(buf[:idLen]), Time: time.Unix(0, ns).UTC(), Raw: buf[idLen:]}, nil
}

// mergeIter merges sorted iterators (a k-way merge on a heap).
type mergeIter struct {
	h mergeHeap
}

type mergeItem struct {
	rec audit.Record
	src recordIter
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return audit.Compare(&h[i].rec, &h[j].rec) < 0 }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func (m *mergeIter) push(src recordIter) error {
	rec, err := src.Next()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	heap.Push(&m.h, mergeItem{rec: rec, src: src})
	return nil
}

func (m *mergeIter) Next() (audit.Record, error) {
	if m.h.Len() == 0 {
		return audit.Record{}, io.EOF
	}
	top := m.h[0]
	next, err := top.src.Next()
	switch {
	case errors.Is(err, io.EOF):
		heap.Pop(&m.h)
	case err != nil:
		return audit.Record{}, err
	default:
		m.h[0].rec = next
		heap.Fix(&m.h, 0)
	}
	return top.rec, nil
}

// peekIter adds one record of look-ahead to a sorted iterator.
type peekIter struct {
	it     recordIter
	next   audit.Record
	peeked bool
	done   bool
	err    error
}

// Peek returns the next record without consuming it; ok is false at the end.
func (p *peekIter) Peek() (audit.Record, bool, error) {
	if p.err != nil {
		return audit.Record{}, false, p.err
	}
	if p.done {
		return audit.Record{}, false, nil
	}
	if !p.peeked {
		rec, err := p.it.Next()
		if errors.Is(err, io.EOF) {
			p.done = true
			return audit.Record{}, false, nil
		}
		if err != nil {
			p.err = err
			return audit.Record{}, false, err
		}
		p.next, p.peeked = rec, true
	}
	return p.next, true, nil
}

// Take consumes the peeked record.
func (p *peekIter) Take() { p.peeked = false }

// nextBefore returns the next record if its event time is before end.
func (p *peekIter) nextBefore(end time.Time) (audit.Record, bool, error) {
	rec, ok, err := p.Peek()
	if err != nil || !ok || !rec.Time.Before(end) {
		return audit.Record{}, false, err
	}
	p.Take()
	return rec, true, nil
}
