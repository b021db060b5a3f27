package graphsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
)

// pageOrder is the order a collection is served in.
type pageOrder int

const (
	orderDesc     pageOrder = iota // newest first (sign-ins)
	orderAsc                       // oldest first (provisioning)
	orderShuffled                  // newest-first pages, shuffled inside (directory audits)
)

// maxTop is Graph's largest page: the default and the limit of $top.
const maxTop = 1000

// query is a parsed collection request.
type query struct {
	res     resource
	shape   shape // how records are rendered: API version, Prefer header
	plan    plan
	top     int
	order   pageOrder
	cursor  int64  // position to continue from; -1 at the start
	key     uint64 // binds skiptokens to this tenant and query
	filter  string // $filter as the client sent it (decoded), for nextLink
	topRaw  string // $top as sent, "" when absent
	orderBy string // $orderby as sent, "" when absent
}

// parseQuery checks the query options of a collection request. It accepts
// $filter whether the client wrote "$filter" or "%24filter", spaces as "%20"
// or "+".
func (s *Server) parseQuery(t *Tenant, res resource, beta bool, raw string) (*query, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, badRequest("The query string is malformed: %v", err)
	}
	q := &query{res: res, shape: shape{beta: beta}, top: maxTop, cursor: -1, order: orderDesc}
	switch res.kind {
	case kindProvisioning:
		q.order = orderAsc
	case kindDirectoryAudit:
		q.order = orderShuffled
	}
	opts := map[string]string{}
	for key, vs := range vals {
		if !strings.HasPrefix(key, "$") {
			continue // Graph ignores parameters that are not query options
		}
		name := strings.ToLower(key)
		if _, dup := opts[name]; dup || len(vs) > 1 {
			return nil, badRequest("Query option '%s' was specified more than once, but it must be specified at most once.", key)
		}
		opts[name] = vs[0]
	}
	for name, v := range opts {
		switch name {
		case "$filter":
			q.filter = v
		case "$top":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxTop {
				return nil, badRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, maxTop)
			}
			q.top, q.topRaw = n, v
		case "$skiptoken":
		case "$orderby":
			if res.kind != kindDirectoryAudit {
				return nil, badRequest("The query specified in the URI is not valid. Query option 'OrderBy' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.")
			}
			field, dir, _ := strings.Cut(strings.TrimSpace(v), " ")
			dir = strings.ToLower(strings.TrimSpace(dir))
			if !strings.EqualFold(field, res.timeField) || (dir != "" && dir != "asc" && dir != "desc") {
				return nil, badRequest("Invalid $orderby clause '%s': only %s asc|desc is supported.", v, res.timeField)
			}
			q.order, q.orderBy = orderDesc, v
			if dir == "asc" {
				q.order = orderAsc
			}
		case "$skip":
			return nil, badRequest("The query specified in the URI is not valid. Query option 'Skip' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.")
		default:
			return nil, badRequest("Query option '%s' is not supported.", name)
		}
	}
	if q.plan, err = planFilter(res, beta, q.filter); err != nil {
		return nil, err
	}
	q.key = queryKey(t.id, res.path, beta, q.filter, q.topRaw, q.orderBy)
	if tok, ok := opts["$skiptoken"]; ok {
		pos, ok := s.openCursor(tok, q.key)
		if !ok {
			return nil, badRequest("The $skiptoken is invalid.")
		}
		q.cursor = pos
	}
	return q, nil
}

// queryKey identifies a query so a skiptoken only continues the query it
// came from.
func queryKey(parts ...any) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return h.Sum64()
}

// Skiptokens are sealed cursors: version, position and query key, with an
// HMAC so a tampered token is refused. The position is in event-time order
// (2*index + copy), so the cursor stays valid while data grows.
const (
	cursorVersion = 1
	cursorLen     = 1 + 8 + 8
	cursorMACLen  = 16
)

func (s *Server) sealCursor(pos int64, key uint64) string {
	buf := make([]byte, cursorLen, cursorLen+cursorMACLen)
	buf[0] = cursorVersion
	binary.BigEndian.PutUint64(buf[1:], uint64(pos))
	binary.BigEndian.PutUint64(buf[9:], key)
	mac := hmac.New(sha256.New, s.cursorKey)
	mac.Write(buf)
	buf = mac.Sum(buf)[:cursorLen+cursorMACLen]
	return base64.RawURLEncoding.EncodeToString(buf)
}

func (s *Server) openCursor(tok string, key uint64) (int64, bool) {
	buf, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(buf) != cursorLen+cursorMACLen || buf[0] != cursorVersion {
		return 0, false
	}
	mac := hmac.New(sha256.New, s.cursorKey)
	mac.Write(buf[:cursorLen])
	if !hmac.Equal(mac.Sum(nil)[:cursorMACLen], buf[cursorLen:]) {
		return 0, false
	}
	if binary.BigEndian.Uint64(buf[9:]) != key {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(buf[1:])), true
}
