package odata

import "cmp"

// decimal is a number literal taken apart without converting it, so numbers
// of any size compare exactly (no float64 rounding beyond 2^53, no big.Rat
// blow-up on an exponent like 1e999999999). Its value is
// ±0.d₁d₂…dₙ × 10^exp, where d₁…dₙ are the significant digits of
// intPart+fracPart from index first to end.
type decimal struct {
	neg               bool
	intPart, fracPart string
	first, end        int // significant digits; first == end means zero
	exp               int64
}

// maxExp bounds exponents so that adding digit counts cannot overflow; any
// number this large or small is beyond every real value anyway.
const maxExp = 1 << 40

// parseDecimal accepts -?digits(.digits)?([eE][+-]?digits)?, the JSON number
// grammar extended with leading zeros (OData allows them).
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	j := skipDigits(s, i)
	if j == i {
		return d, false
	}
	d.intPart, i = s[i:j], j
	if i < len(s) && s[i] == '.' {
		j = skipDigits(s, i+1)
		if j == i+1 {
			return d, false
		}
		d.fracPart, i = s[i+1:j], j
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		j = skipDigits(s, i)
		if j == i {
			return d, false
		}
		for _, c := range s[i:j] {
			exp = min(exp*10+int64(c-'0'), maxExp)
		}
		if expNeg {
			exp = -exp
		}
		i = j
	}
	if i != len(s) {
		return d, false
	}
	n := len(d.intPart) + len(d.fracPart)
	for d.first < n && d.digit(d.first) == '0' {
		d.first++
	}
	d.end = n
	for d.end > d.first && d.digit(d.end-1) == '0' {
		d.end--
	}
	d.exp = exp + int64(len(d.intPart)-d.first)
	return d, true
}

func skipDigits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func (d decimal) digit(i int) byte {
	if i < len(d.intPart) {
		return d.intPart[i]
	}
	return d.fracPart[i-len(d.intPart)]
}

func (d decimal) sign() int {
	switch {
	case d.first == d.end:
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// compareDecimal returns -1, 0 or +1 as a is less than, equal to or greater
// than b.
func compareDecimal(a, b decimal) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb || sa == 0 {
		return cmp.Compare(sa, sb)
	}
	return sa * compareMagnitude(a, b)
}

func compareMagnitude(a, b decimal) int {
	if a.exp != b.exp {
		return cmp.Compare(a.exp, b.exp)
	}
	na, nb := a.end-a.first, b.end-b.first
	for i := 0; i < na && i < nb; i++ {
		if c := cmp.Compare(a.digit(a.first+i), b.digit(b.first+i)); c != 0 {
			return c
		}
	}
	// Equal so far: the one with more (non-zero trailing) digits is larger.
	return cmp.Compare(na, nb)
}
