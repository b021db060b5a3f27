package odata

import (
	"fmt"
	"strings"
)

// functionArity lists the supported functions and their argument counts.
var functionArity = map[string]int{
	"startswith": 2,
	"endswith":   2,
	"contains":   2,
	"tolower":    1,
	"toupper":    1,
}

// call compiles a function. The string tests are false, and tolower and
// toupper null, unless every argument is a string.
func (c *compiler) call(n Call) (evalFunc, error) {
	want, ok := functionArity[n.Func]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", n.Func)
	}
	if len(n.Args) != want {
		return nil, fmt.Errorf("%s takes %s, found %d", n.Func, arguments(want), len(n.Args))
	}
	args := make([]evalFunc, len(n.Args))
	for i, a := range n.Args {
		var err error
		if args[i], err = c.expr(a); err != nil {
			return nil, err
		}
	}
	if want == 1 {
		convert := strings.ToLower
		if n.Func == "toupper" {
			convert = strings.ToUpper
		}
		return func(s *scope) value {
			v := args[0](s)
			if !v.isText() {
				return valueNull
			}
			return value{kind: kindString, str: convert(v.str)}
		}, nil
	}
	var test func(s, sub string) bool
	switch ci := c.opts.CaseInsensitive; n.Func {
	case "startswith":
		test = pick(ci, foldPrefix, strings.HasPrefix)
	case "endswith":
		test = pick(ci, foldSuffix, strings.HasSuffix)
	default: // contains
		test = pick(ci, foldContains, strings.Contains)
	}
	return func(s *scope) value {
		a, b := args[0](s), args[1](s)
		return boolValue(a.isText() && b.isText() && test(a.str, b.str))
	}, nil
}

func pick(caseInsensitive bool, fold, exact func(s, sub string) bool) func(s, sub string) bool {
	if caseInsensitive {
		return fold
	}
	return exact
}
