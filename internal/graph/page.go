package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// page is one decoded collection page.
type page struct {
	// records are the page's records inside the window, in the order served.
	records []audit.Record
	// rejects are the page's records that cannot be archived.
	rejects []audit.Reject
	// served counts the records on the page, inside the window or not.
	served int
	// invalid holds where in the body each rejected record that is not
	// valid JSON begins and ends (FuzzDecodePage mends the body from it).
	invalid [][2]int
	// unconfirmed: one of them was not met by an earlier attempt.
	unconfirmed bool
	// next is the @odata.nextLink, "" on the last page.
	next string
}

// sightings are the records served whole but not as valid JSON that the
// earlier attempts at one page met, by their SHA-256.
type sightings map[[sha256.Size]byte]bool

// errUnconfirmed: the page holds a record served whole but not valid JSON
// that no earlier attempt at the page met. Garbling on the way (a front
// end's stray byte) cannot be told from a record Graph stores that way, so
// the page is asked for again: the same bytes twice are the record's, and
// it is rejected then; different ones were garbling.
var errUnconfirmed = fmt.Errorf("%w: a record is not valid JSON; asking again to tell a garbled answer from a record stored that way", errMalformed)

// decodePage validates body as a Graph collection page and returns its
// records inside w and its rejects (see decodeValues). seen holds the
// records not valid JSON of the earlier attempts at this page (nil: none
// is accepted); decodePage adds this attempt's. Records share body's
// memory; one holding insignificant whitespace is compacted in place. A body
// that is not a well-formed page yields an error wrapping errMalformed: the
// answer was garbled on its way, and another attempt may bring it whole.
func decodePage(body []byte, st audit.Stream, w audit.Window, seen sightings) (page, error) {
	var (
		pg     page
		s      = scanner{b: body}
		hasVal bool
	)
	i := s.skipSpace(0)
	if i >= len(body) || body[i] != '{' {
		return pg, malformedAt(i, "page is not a JSON object")
	}
	i = s.skipSpace(i + 1)
	if i < len(body) && body[i] == '}' {
		i++
	} else {
		for {
			if i >= len(body) || body[i] != '"' {
				return pg, malformedAt(i, "expected key")
			}
			end, err := s.str(i)
			if err != nil {
				return pg, err
			}
			key, err := stringValue(body[i:end])
			if err != nil {
				return pg, err
			}
			i = s.skipSpace(end)
			if i >= len(body) || body[i] != ':' {
				return pg, malformedAt(i, "expected ':'")
			}
			i = s.skipSpace(i + 1)
			switch key {
			case "value":
				hasVal = true
				if i, err = decodeValues(&s, i, st, w, seen, &pg); err != nil {
					return pg, err
				}
			case "@odata.nextLink":
				if i < len(body) && body[i] == 'n' {
					// Graph also ends paging with an explicit null
					// (issue 13), not only by leaving the key out.
					if i, err = s.literal(i, "null"); err != nil {
						return pg, err
					}
					pg.next = ""
					break
				}
				if i >= len(body) || body[i] != '"' {
					return pg, malformedAt(i, "nextLink is neither a string nor null")
				}
				end, err := s.str(i)
				if err != nil {
					return pg, err
				}
				if pg.next, err = stringValue(body[i:end]); err != nil {
					return pg, err
				}
				i = end
			default: // @odata.context and other annotations
				if i, err = s.value(i); err != nil {
					return pg, err
				}
			}
			i = s.skipSpace(i)
			if i < len(body) && body[i] == ',' {
				i = s.skipSpace(i + 1)
				continue
			}
			if i < len(body) && body[i] == '}' {
				i++
				break
			}
			return pg, malformedAt(i, "expected ',' or '}'")
		}
	}
	if i = s.skipSpace(i); i != len(body) {
		return pg, malformedAt(i, "data after the page object")
	}
	if !hasVal {
		return pg, fmt.Errorf("%w: no value array", errMalformed)
	}
	if pg.unconfirmed {
		return pg, errUnconfirmed
	}
	return pg, nil
}

// decodeValues reads the value array starting at body[i] and returns the
// offset just past it. A record that cannot be archived is rejected, not
// blamed on the page: one odd record must not stall a stream for ever
// (DESIGN.md "Never stall on one thing"). Rejected are records that are not
// valid JSON although served whole, are not objects or have no readable
// event time (wherever that time would lie), and records inside w without
// an id (they cannot be told apart); records outside w are dropped.
func decodeValues(s *scanner, i int, st audit.Stream, w audit.Window, seen sightings, pg *page) (int, error) {
	body := s.b
	if i >= len(body) || body[i] != '[' {
		return 0, malformedAt(i, "value is not an array")
	}
	i = s.skipSpace(i + 1)
	if i < len(body) && body[i] == ']' {
		return i + 1, nil
	}
	for {
		start, depth := i, s.depth
		s.space = false
		end, err := s.value(i)
		if err != nil {
			// A record served whole (its brackets close and the page goes
			// on) but not as valid JSON is the record's fault, not the
			// answer's, once another attempt brings the same bytes
			// (errUnconfirmed): it is rejected and the rest of the page
			// archived. A body whose brackets do not close was cut on its
			// way, and a control byte (other than JSON's white space) is
			// garbling no JSON writer produces: malformed, retried.
			alt, ok := s.delimit(start)
			if !ok || hasControlByte(body[start:alt]) {
				return 0, err
			}
			s.depth = depth
			raw := body[start:alt]
			if sum := sha256.Sum256(raw); !seen[sum] {
				if seen != nil {
					seen[sum] = true
				}
				pg.unconfirmed = true
			}
			pg.rejects = append(pg.rejects, audit.Reject{Raw: bytes.Clone(raw), Reason: syntaxReason(err, start)})
			pg.invalid = append(pg.invalid, [2]int{start, alt})
			end = alt
		} else {
			decodeRecord(s, start, end, st, w, pg)
		}
		pg.served++
		i = s.skipSpace(end)
		if i < len(body) && body[i] == ',' {
			i = s.skipSpace(i + 1)
			continue
		}
		if i < len(body) && body[i] == ']' {
			return i + 1, nil
		}
		return 0, malformedAt(i, "expected ',' or ']' in value")
	}
}

// decodeRecord sorts the valid JSON value body[start:end], just scanned, into
// pg's records (inside w, with an id), its rejects, or nowhere (outside w).
func decodeRecord(s *scanner, start, end int, st audit.Stream, w audit.Window, pg *page) {
	raw := s.b[start:end]
	if s.space {
		raw = compactInPlace(raw)
	}
	rec, err := audit.ParseRecord(raw, st.TimeField)
	switch {
	case err != nil:
		pg.rejects = append(pg.rejects, audit.Reject{Raw: bytes.Clone(raw), Reason: timeReason(raw, st.TimeField)})
	case !w.Contains(rec.Time):
	case rec.ID == "":
		pg.rejects = append(pg.rejects, audit.Reject{Raw: bytes.Clone(raw), Reason: idReason(raw)})
	default:
		pg.records = append(pg.records, rec)
	}
}

// hasControlByte reports a byte below 0x20 other than JSON's white space.
func hasControlByte(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// stringValue decodes a validated JSON string literal (with its quotes).
func stringValue(q []byte) (string, error) {
	inner := q[1 : len(q)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if err := json.Unmarshal(q, &s); err != nil {
				return "", fmt.Errorf("%w: %w", errMalformed, err)
			}
			return s, nil
		}
	}
	return string(inner), nil
}
