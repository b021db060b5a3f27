package format

import (
	"fmt"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Column is one column of a stream's CSV files.
type Column struct {
	// Name is the header text: the dotted path of the property in the
	// record, e.g. "status.errorCode".
	Name string
	// Property is the Graph property path, as written in $filter and in
	// Graph's documentation, e.g. "status/errorCode".
	Property string
	// Description says what the column holds.
	Description string
}

func col(name, description string) Column {
	return Column{Name: name, Property: strings.ReplaceAll(name, ".", "/"), Description: description}
}

// columnsByStream maps each stream name to its column list.
var columnsByStream = map[string][]Column{
	audit.InteractiveSignIns.Name:      signInColumns,
	audit.NonInteractiveSignIns.Name:   signInColumns,
	audit.ServicePrincipalSignIns.Name: signInColumns,
	audit.ManagedIdentitySignIns.Name:  signInColumns,
	audit.DirectoryAudits.Name:         directoryAuditColumns,
	audit.Provisioning.Name:            provisioningColumns,
}

// Columns returns the CSV columns of stream st, in header order, or nil for a
// stream without a list. The list is fixed: every CSV file of the stream has
// exactly this header. The caller may modify the returned slice.
func Columns(st audit.Stream) []Column {
	cols, ok := columnsByStream[st.Name]
	if !ok {
		return nil
	}
	return append([]Column(nil), cols...)
}

// schema is a stream's column list compiled for the encoder and reader.
type schema struct {
	columns []Column
	root    *node
	idCol   int    // index of the id column
	timeCol int    // index of the stream's time column
	header  []byte // the header row, without line terminator
}

// node is one object level of the column paths. A leaf is a column; an inner
// node holds the columns below it.
type node struct {
	children map[string]*node
	col      int   // column index of a leaf, -1 for an inner node
	leaves   []int // column indexes of every leaf at or below this node
}

// schemas holds the compiled lists, built once at start-up from the static
// tables above; mustCompile panics on a malformed table, which the tests
// catch.
var schemas = compileAll()

func compileAll() map[string]*schema {
	out := make(map[string]*schema, len(audit.Streams))
	for _, st := range audit.Streams {
		out[st.Name] = mustCompile(st, columnsByStream[st.Name])
	}
	return out
}

func schemaFor(st audit.Stream) (*schema, error) {
	s, ok := schemas[st.Name]
	if !ok {
		return nil, fmt.Errorf("%w %q has no CSV columns", ErrUnknownStream, st.Name)
	}
	return s, nil
}

func mustCompile(st audit.Stream, cols []Column) *schema {
	s, err := compile(st, cols)
	if err != nil {
		panic(fmt.Sprintf("format: CSV columns of %s: %v", st.Name, err))
	}
	return s
}

// compile builds the path tree. Every column must be a distinct path and no
// column may be a prefix of another: a value is either a cell or an object
// whose members are cells.
func compile(st audit.Stream, cols []Column) (*schema, error) {
	s := &schema{columns: cols, root: &node{col: -1}, idCol: -1, timeCol: -1}
	for i, c := range cols {
		switch c.Name {
		case "id":
			s.idCol = i
		case st.TimeField:
			s.timeCol = i
		}
		n := s.root
		for _, key := range strings.Split(c.Name, ".") {
			if key == "" {
				return nil, fmt.Errorf("column %q has an empty path segment", c.Name)
			}
			if n.col >= 0 {
				return nil, fmt.Errorf("column %q is below column %q", c.Name, cols[n.col].Name)
			}
			n.leaves = append(n.leaves, i)
			if n.children == nil {
				n.children = map[string]*node{}
			}
			child, ok := n.children[key]
			if !ok {
				child = &node{col: -1}
				n.children[key] = child
			}
			n = child
		}
		if n.col >= 0 || len(n.children) > 0 {
			return nil, fmt.Errorf("column %q repeats or contains another column", c.Name)
		}
		n.col = i
		n.leaves = append(n.leaves, i)
	}
	if s.idCol < 0 || s.timeCol < 0 {
		return nil, fmt.Errorf("columns must include id and %s", st.TimeField)
	}
	for i, c := range cols {
		if i > 0 {
			s.header = append(s.header, ',')
		}
		s.header = appendField(s.header, []byte(c.Name))
	}
	return s, nil
}
