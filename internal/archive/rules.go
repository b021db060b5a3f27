package archive

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid: a blob name, prefix or metadata entry breaks the rules every
// sink enforces alike (CheckName, CheckPrefix, CheckMeta).
var ErrInvalid = errors.New("invalid")

// CheckName enforces the name rules shared by all sinks, so a name that works
// in a local folder also works in a container and the other way round: a
// non-empty slash-separated relative path without empty, "." or ".."
// segments, backslashes or control characters, at most 1024 bytes (Azure's
// limit).
func CheckName(name string) error {
	if err := checkPath(name); err != nil {
		return fmt.Errorf("blob name %q: %w", name, err)
	}
	return nil
}

// CheckPrefix accepts "" and any prefix of a valid name: every complete
// segment (before the last slash) must be valid; the last, partial segment
// only must not hold forbidden characters.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	last := prefix
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		last = prefix[i+1:]
		if err := checkPath(prefix[:i]); err != nil {
			return fmt.Errorf("prefix %q: %w", prefix, err)
		}
	}
	if err := checkChars(last); err != nil {
		return fmt.Errorf("prefix %q: %w", prefix, err)
	}
	return nil
}

// CheckFolder accepts "" and a valid name followed by "/": the prefixes
// Sink.Folders lists below.
func CheckFolder(prefix string) error {
	if prefix == "" {
		return nil
	}
	dir, ok := strings.CutSuffix(prefix, "/")
	if !ok {
		return fmt.Errorf("folder %q: %w: does not end in \"/\"", prefix, ErrInvalid)
	}
	if err := checkPath(dir); err != nil {
		return fmt.Errorf("folder %q: %w", prefix, err)
	}
	return nil
}

func checkPath(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalid)
	case len(name) > 1024:
		return fmt.Errorf("%w: longer than 1024 bytes", ErrInvalid)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("%w: absolute path", ErrInvalid)
	}
	for seg := range strings.SplitSeq(name, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: empty path segment", ErrInvalid)
		case ".", "..":
			return fmt.Errorf("%w: %q path segment", ErrInvalid, seg)
		}
		if err := checkChars(seg); err != nil {
			return err
		}
	}
	return nil
}

func checkChars(s string) error {
	for _, r := range s {
		switch {
		case r == '\\':
			return fmt.Errorf("%w: backslash", ErrInvalid)
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("%w: control character %U", ErrInvalid, r)
		}
	}
	return nil
}

// CheckMeta enforces the metadata rules of Azure Blob Storage on every sink:
// keys are identifiers (a letter or underscore, then letters, digits,
// underscores), values printable ASCII, since both travel as HTTP headers.
// Keys are compared case-insensitively, so two keys differing only in case
// are rejected.
func CheckMeta(meta map[string]string) error {
	seen := make(map[string]bool, len(meta))
	for k, v := range meta {
		if !isIdentifier(k) {
			return fmt.Errorf("%w: metadata key %q is not an identifier (letters, digits, underscore)", ErrInvalid, k)
		}
		lk := strings.ToLower(k)
		if seen[lk] {
			return fmt.Errorf("%w: metadata key %q given twice (keys are case-insensitive)", ErrInvalid, k)
		}
		seen[lk] = true
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				return fmt.Errorf("%w: metadata %s: value is not printable ASCII", ErrInvalid, k)
			}
		}
	}
	return nil
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// LowerKeys returns meta with lower-case keys (the form Object.Metadata
// promises).
func LowerKeys(meta map[string]string) map[string]string {
	out := make(map[string]string, len(meta))
	for k, v := range meta {
		out[strings.ToLower(k)] = v
	}
	return out
}

// MetaDigest returns meta's sha256 entry, which Put requires: 64 lower-case
// hex digits of the SHA-256 of the body.
func MetaDigest(meta map[string]string) (string, error) {
	d := MetaGet(meta, MetaSHA256)
	if len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%w: metadata %s must be the lower-case hex SHA-256 of the body, got %q", ErrInvalid, MetaSHA256, d)
	}
	return d, nil
}
