package graphsim

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// vocab is the property names a resource's records use, learnt from sample
// records so it cannot drift from the generators. Graph rejects a filter on a
// property its type does not have.
type vocab struct {
	typeName string
	top      map[string]bool   // top-level property names, exact
	fold     map[string]string // lower-case name -> name, for every level
}

// resolveTop finds the top-level property seg names: exactly, or ignoring
// case when caseless.
func (v *vocab) resolveTop(seg string, caseless bool) (string, bool) {
	if v.top[seg] {
		return seg, true
	}
	if !caseless {
		return "", false
	}
	name, ok := v.fold[strings.ToLower(seg)]
	return name, ok && v.top[name]
}

// resolveNested maps a nested segment to the spelling records use, when the
// name is known in another case; unknown names are kept (they read as null).
func (v *vocab) resolveNested(seg string) string {
	if name, ok := v.fold[strings.ToLower(seg)]; ok {
		return name
	}
	return seg
}

type vocabKey struct {
	kind recordKind
	beta bool
}

var (
	vocabOnce sync.Once
	vocabs    map[vocabKey]*vocab
)

// vocabFor returns the vocabulary of a resource in an API version.
func vocabFor(kind recordKind, beta bool) *vocab {
	vocabOnce.Do(buildVocabs)
	if kind != kindSignIn {
		beta = false
	}
	return vocabs[vocabKey{kind, beta}]
}

func buildVocabs() {
	vocabs = map[vocabKey]*vocab{}
	dir := newDirectory("00000000-0000-0000-0000-000000000000", 1)
	tl := newTimeline(1, time.Unix(0, 0), time.Time{}, 3600)
	add := func(key vocabKey, typeName string, s audit.Stream) {
		v := vocabs[key]
		if v == nil {
			v = &vocab{typeName: typeName, top: map[string]bool{}, fold: map[string]string{}}
			vocabs[key] = v
		}
		g := newRecordGen(s, 7, &tl, dir, oddities{-1, -1, -1, -1})
		for i := int64(0); i < 120; i++ {
			for ver := 0; ver <= maxRevisions; ver++ {
				collectKeys(v, g.appendRecord(nil, i, ver, shape{beta: key.beta}))
			}
		}
	}
	for _, s := range audit.Streams {
		switch {
		case s.SignIns:
			add(vocabKey{kindSignIn, true}, "microsoft.graph.signIn", s)
			if s.EventType == eventInteractive { // v1.0 serves interactive sign-ins only
				add(vocabKey{kindSignIn, false}, "microsoft.graph.signIn", s)
			}
		case s.Name == audit.DirectoryAudits.Name:
			add(vocabKey{kindDirectoryAudit, false}, "microsoft.graph.directoryAudit", s)
		default:
			add(vocabKey{kindProvisioning, false}, "microsoft.graph.provisioningObjectSummary", s)
		}
	}
}

// collectKeys adds every object key of the record to v.
func collectKeys(v *vocab, raw []byte) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []byte // '{' or '[' per open container
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, byte(t))
			default:
				stack = stack[:len(stack)-1]
			}
			expectKey = t == '{' || (t != '[' && len(stack) > 0 && stack[len(stack)-1] == '{')
			continue
		case string:
			if expectKey {
				if len(stack) == 1 {
					v.top[t] = true
				}
				if _, seen := v.fold[strings.ToLower(t)]; !seen || t == strings.ToLower(t) {
					v.fold[strings.ToLower(t)] = t
				}
				expectKey = false
				continue
			}
		}
		// A value ends; inside an object the next token is a key.
		expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
	}
}
