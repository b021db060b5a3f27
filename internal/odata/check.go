package odata

import "slices"

// Rules shared by Parse (which reports them with a column) and Compile
// (which enforces them on hand-built trees).

// isCondition reports whether e can stand where a true/false condition is
// required: at the top, around and/or, after not, in a lambda body. A bare
// property path counts, since it may hold a boolean (isInteractive).
func isCondition(e Expr) bool {
	switch n := e.(type) {
	case Logical, Not, Compare, In, Lambda, Path:
		return true
	case Call:
		return n.Func == "startswith" || n.Func == "endswith" || n.Func == "contains"
	case Literal:
		return n.Kind == LitBool
	}
	return false
}

// reservedWords cannot be property names or lambda variables.
var reservedWords = []string{
	"and", "or", "not", "in", "eq", "ne", "gt", "ge", "lt", "le",
	"true", "false", "null",
}

// isReserved reports whether the lower-cased word w is a keyword.
func isReserved(w string) bool {
	return slices.Contains(reservedWords, w) || slices.Contains(unsupportedOps, w)
}
