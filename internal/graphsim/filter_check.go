package graphsim

import (
	"slices"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/odata"
)

// canonicalize checks a clause the matcher will evaluate and rewrites its
// property names to the spelling the records use (Graph matches names case
// insensitively, except on provisioning). vars are the lambda variables in
// scope.
func canonicalize(e odata.Expr, res resource, v *vocab, beta bool, vars []string) (odata.Expr, error) {
	switch n := e.(type) {
	case odata.Logical:
		l, err := canonicalize(n.Left, res, v, beta, vars)
		if err != nil {
			return nil, err
		}
		r, err := canonicalize(n.Right, res, v, beta, vars)
		if err != nil {
			return nil, err
		}
		return odata.Logical{Op: n.Op, Left: l, Right: r}, nil
	case odata.Not:
		x, err := canonicalize(n.X, res, v, beta, vars)
		if err != nil {
			return nil, err
		}
		return odata.Not{X: x}, nil
	case odata.Compare:
		l, err := canonicalize(n.Left, res, v, beta, vars)
		if err != nil {
			return nil, err
		}
		r, err := canonicalize(n.Right, res, v, beta, vars)
		if err != nil {
			return nil, err
		}
		return odata.Compare{Op: n.Op, Left: l, Right: r}, nil
	case odata.In:
		l, err := canonicalize(n.Left, res, v, beta, vars)
		if err != nil {
			return nil, err
		}
		list := make([]odata.Expr, len(n.List))
		for k, x := range n.List {
			if list[k], err = canonicalize(x, res, v, beta, vars); err != nil {
				return nil, err
			}
		}
		return odata.In{Left: l, List: list}, nil
	case odata.Call:
		args := make([]odata.Expr, len(n.Args))
		for k, x := range n.Args {
			var err error
			if args[k], err = canonicalize(x, res, v, beta, vars); err != nil {
				return nil, err
			}
		}
		return odata.Call{Func: n.Func, Args: args}, nil
	case odata.Lambda:
		coll, err := resolvePath(n.Collection, res, v, vars)
		if err != nil {
			return nil, err
		}
		out := odata.Lambda{Collection: coll, Kind: n.Kind, Var: n.Var}
		if n.Body != nil {
			if out.Body, err = canonicalize(n.Body, res, v, beta, append(slices.Clip(vars), n.Var)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case odata.Path:
		return resolvePath(n, res, v, vars)
	}
	return e, nil
}

// resolvePath checks that a path starts at a property of the resource (or
// at a lambda variable) and fixes the case of its segments.
func resolvePath(p odata.Path, res resource, v *vocab, vars []string) (odata.Path, error) {
	if len(p.Segments) == 0 {
		return p, nil
	}
	out := odata.Path{Segments: slices.Clone(p.Segments)}
	if !slices.Contains(vars, p.Segments[0]) {
		name, ok := v.resolveTop(p.Segments[0], !res.caseSensitive)
		if !ok {
			return p, rejectf("Could not find a property named '%s' on type '%s'.", p.Segments[0], v.typeName)
		}
		switch {
		case strings.EqualFold(name, res.timeField):
			return p, rejectf("%s may only be compared with %s at the top level of the filter", res.timeField, strings.Join(res.ops, ", "))
		case name == "signInEventTypes":
			return p, rejectf("signInEventTypes supports only one top-level any(t: t eq '<type>') clause")
		}
		out.Segments[0] = name
	}
	if !res.caseSensitive {
		for k := 1; k < len(out.Segments); k++ {
			out.Segments[k] = v.resolveNested(out.Segments[k])
		}
	}
	return out, nil
}
