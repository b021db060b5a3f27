package config

import (
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration, at the key path where it
// was found ("tenants[1].auth.client_id"). File-level problems (unreadable
// file, YAML syntax) carry the file name as their path.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Errors is every problem Load found, sorted by path. Load returns it (and
// nothing else) when a configuration cannot be used; callers map it to exit
// code 2.
type Errors struct {
	Problems []Problem
}

// Error lists the problems one per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by path, comparing list indexes as numbers so
// tenants[2] comes before tenants[10], keeps the order of problems that share
// a path and drops exact repeats.
func sortProblems(ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int { return comparePaths(a.Path, b.Path) })
	return slices.Compact(ps)
}

// comparePaths compares key paths, treating runs of digits as numbers.
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:da], 10, 64)
			nb, _ := strconv.ParseUint(b[:db], 10, 64)
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitPrefix(s string) int {
	n := 0
	for n < len(s) && n < 18 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// suggest returns the known key closest to an unknown one, or "" when none is
// close enough to be a likely typo.
func suggest(unknown string, known []string) string {
	best, bestDist := "", -1
	u := strings.ToLower(unknown)
	for _, k := range known {
		d := editDistance(u, k)
		if bestDist < 0 || d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(unknown)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
