package graphsim

import (
	"hash/fnv"
	"time"
)

// Salts separate the independent pseudo-random decisions made about a record,
// so that, say, its latency does not correlate with its content.
const (
	saltContent uint64 = iota + 1
	saltID
	saltJitter
	saltPrecision
	saltLate
	saltRepublish
	saltRevise
	saltFault
	saltPage
	saltLicence
	saltLateTail
	saltEnum
	saltNoTime
	saltNoID
	saltNotJSON
)

// splitmix is the SplitMix64 finaliser: a fast, well-mixed 64-bit hash.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash3 mixes a stream salt, a decision salt and an index.
func hash3(salt, kind uint64, i int64) uint64 {
	return splitmix(splitmix(salt^kind*0x632be59bd9b4e019) ^ uint64(i))
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// stringSalt hashes a name into a salt.
func stringSalt(seed int64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return splitmix(uint64(seed) ^ h.Sum64())
}

// rng is a SplitMix64 generator; records are generated from one seeded by
// their index, so generation needs no shared state.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n) for 0 < n < 2^32.
func (r *rng) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

// chance is true with probability p.
func (r *rng) chance(p float64) bool { return unit(r.next()) < p }

// pick returns a random element of s.
func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

const hexDigits = "0123456789abcdef"

// appendGUID appends a version-4 style GUID built from two random words.
func appendGUID(dst []byte, a, b uint64) []byte {
	var raw [16]byte
	for k := 0; k < 8; k++ {
		raw[k] = byte(a >> (8 * k))
		raw[8+k] = byte(b >> (8 * k))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	for k, c := range raw {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return dst
}

func (r *rng) appendGUID(dst []byte) []byte { return appendGUID(dst, r.next(), r.next()) }

// guidString is appendGUID for setup code.
func guidString(a, b uint64) string { return string(appendGUID(nil, a, b)) }

// Ticks are Graph's time resolution: 100 ns since the Unix epoch.
const (
	tickNanos   = 100
	ticksPerSec = int64(time.Second / tickNanos)
	ticksPerMs  = int64(time.Millisecond / tickNanos)
)

// toTicks converts t to ticks; unlike UnixNano it is defined for every year
// from 1 to 9999, so zero times work as open bounds.
func toTicks(t time.Time) int64 {
	return t.Unix()*ticksPerSec + int64(t.Nanosecond())/tickNanos
}

func fromTicks(t int64) time.Time { return time.Unix(0, t*tickNanos).UTC() }

func durTicks(d time.Duration) int64 { return int64(d / tickNanos) }

// appendTime appends t (ticks) as ISO 8601 UTC with 0, 3 or 7 fractional
// digits, the forms Graph writes.
func appendTime(dst []byte, t int64, digits int) []byte {
	tm := fromTicks(t)
	y, mo, d := tm.Date()
	h, mi, s := tm.Clock()
	dst = appendInt(dst, y, 4)
	dst = append(dst, '-')
	dst = appendInt(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendInt(dst, h, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, s, 2)
	frac := int(((t % ticksPerSec) + ticksPerSec) % ticksPerSec)
	switch digits {
	case 3:
		dst = append(dst, '.')
		dst = appendInt(dst, frac/int(ticksPerMs), 3)
	case 7:
		dst = append(dst, '.')
		dst = appendInt(dst, frac, 7)
	}
	return append(dst, 'Z')
}

// appendInt appends v zero-padded to width digits (v >= 0).
func appendInt(dst []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}

// appendUint appends v in decimal.
func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}
