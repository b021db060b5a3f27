package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"go.uber.org/zap"
)

// preferEnums asks Graph for the real value of evolvable enum members that
// are newer than the API version (tokenIssuerType AzureADBackupAuth, new
// riskDetail values, …). Without it Graph serves them as
// unknownFutureValue and the archive would lose the real value for good
// (GRAPH-NOTES.md "Evolvable enums").
const preferEnums = "include-unknown-enum-members"

// attempt sends one request for link and reads and decodes the page.
func (s *Source) attempt(ctx context.Context, rq request, link string, attempt int) (page, *failure) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, link)
	if err != nil {
		return page{}, &failure{err: fmt.Errorf("stream %s: bad request URL: %w", rq.stream.Name, err)}
	}
	req.Raw().Header.Set("Accept", "application/json")
	req.Raw().Header.Set("Prefer", preferEnums)
	runtime.SkipBodyDownload(req)

	start := s.now()
	resp, err := s.pipeline.Do(req)
	if err != nil {
		if f := s.classifyEgress(rq, err); f != nil {
			s.report(rq, attempt, f.status, start, err)
			return page{}, f
		}
		f := s.classifyDoError(err)
		var te *tokenError
		if !errors.As(err, &te) && ctx.Err() == nil {
			s.report(rq, attempt, 0, start, err)
		}
		return page{}, f
	}
	defer resp.Body.Close()
	s.clock.observe(resp.Header.Get("Date"))

	if resp.StatusCode != http.StatusOK {
		body, err := runtime.Payload(resp)
		if err != nil {
			s.report(rq, attempt, 0, start, err)
			if f := s.pageTooLarge(rq, err); f != nil {
				return page{}, f
			}
			return page{}, classifyTransport(fmt.Errorf("read error body: %w", err))
		}
		s.report(rq, attempt, resp.StatusCode, start, nil)
		return page{}, s.classifyStatus(rq, resp, body)
	}

	s.noteServed(rq.stream)
	body, err := readBody(resp, s.maxPage)
	if err != nil {
		s.report(rq, attempt, 0, start, err)
		if f := s.pageTooLarge(rq, err); f != nil {
			return page{}, f
		}
		return page{}, classifyTransport(fmt.Errorf("read page: %w", err))
	}
	s.report(rq, attempt, resp.StatusCode, start, nil)
	s.notePreference(resp)

	pg, err := decodePage(body, rq.stream, rq.window, rq.sighted)
	if err != nil {
		// Garbled on its way (truncated, cut, mangled): another attempt
		// may bring the page whole.
		return page{}, &failure{err: err, retry: true, status: resp.StatusCode}
	}
	return pg, nil
}

// report logs an attempt at debug level and tells the observer.
func (s *Source) report(rq request, attempt, status int, start time.Time, err error) {
	if s.observer != nil {
		s.observer.Request(rq.stream.Name, status)
	}
	if ce := s.log.Check(zap.DebugLevel, "graph request"); ce != nil {
		ce.Write(zap.String("stream", rq.stream.Name), zap.Int("page", rq.pageNo), zap.Int("attempt", attempt),
			zap.Int("status", status), zap.Duration("duration", s.now().Sub(start)), zap.Error(err))
	}
}

// notePreference logs at debug level, once per Source, when Graph does not
// confirm the Prefer header with Preference-Applied: the stored records may
// then read unknownFutureValue where a newer enum member was meant.
func (s *Source) notePreference(resp *http.Response) {
	for _, v := range resp.Header.Values("Preference-Applied") {
		if strings.Contains(v, preferEnums) {
			return
		}
	}
	if s.preferUnconfirmed.CompareAndSwap(false, true) {
		s.log.Debug("Graph did not confirm Prefer: "+preferEnums+"; newer enum members may read unknownFutureValue",
			zap.String("preference_applied", resp.Header.Get("Preference-Applied")))
	}
}

// readBody reads the whole body, allocating once when the length is known.
// The transport stops a body past limit, so no Content-Length makes it
// allocate more than that up front either.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	size := 64 << 10
	if n := resp.ContentLength; n > 0 {
		size = int(min(n, limit)) + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
