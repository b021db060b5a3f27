package odata

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

var (
	// ErrInvalidExpr is wrapped by Compile's errors: the tree breaks a rule
	// Parse would have enforced (unknown operator or function, wrong number
	// of arguments, a value where a condition belongs, a lambda variable
	// already in scope).
	ErrInvalidExpr = errors.New("invalid filter expression")
	// ErrNotObject is wrapped by Match's errors: the record is not a JSON
	// object.
	ErrNotObject = errors.New("record is not a JSON object")
)

// SyntaxError reports where and why Parse rejected a filter.
type SyntaxError struct {
	Pos int    // 0-based byte offset into Src
	Col int    // 1-based column (in characters)
	Msg string // what is wrong, without the position
	Src string // the whole filter
}

func newSyntaxError(src string, pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{
		Pos: pos,
		Col: utf8.RuneCountInString(src[:pos]) + 1,
		Msg: fmt.Sprintf(format, args...),
		Src: src,
	}
}

// Error returns "column N: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
}

// Caret returns the filter on one line and a caret under the offending
// column on the next, for terminals and config-check output:
//
//	status/errorCode eqq 0
//	                 ^
func (e *SyntaxError) Caret() string {
	line := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, e.Src)
	return line + "\n" + strings.Repeat(" ", e.Col-1) + "^"
}
