package graphsim

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// graphContentType is the Content-Type Graph sends on collections and errors.
const graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// exchange is one Graph request being answered.
type exchange struct {
	s           *Server
	w           http.ResponseWriter
	r           *http.Request
	reqID       string
	clientReqID string
	tenant      *Tenant // set once the bearer token names one
}

func (s *Server) newExchange(w http.ResponseWriter, r *http.Request) *exchange {
	x := &exchange{s: s, w: w, r: r, reqID: newRequestID()}
	x.clientReqID = r.Header.Get("client-request-id")
	if x.clientReqID == "" {
		x.clientReqID = x.reqID
	}
	return x
}

func newRequestID() string { return guidString(rand.Uint64(), rand.Uint64()) }

// header sets the headers every Graph response carries.
func (x *exchange) header() http.Header {
	h := x.w.Header()
	// Date is Graph's clock: clients compute the minimum allowed time from
	// it, so it follows Options.Now.
	h.Set("Date", x.s.now().UTC().Format(http.TimeFormat))
	h.Set("Content-Type", graphContentType)
	h.Set("request-id", x.reqID)
	h.Set("client-request-id", x.clientReqID)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"Sim Europe","Slice":"E","Ring":"5","ScaleUnit":"001","RoleInstance":"GRAPHSIM01"}}`)
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("Cache-Control", "no-cache")
	return h
}

// send writes a complete response and counts its status for the tenant. It
// reports whether the whole body was written.
func (x *exchange) send(status int, body []byte) bool {
	h := x.header()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.count(status)
	x.w.WriteHeader(status)
	_, err := x.w.Write(body)
	return err == nil
}

// count records a response status for the tenant. It runs before the
// response is written, so Stats already include a response its client has
// seen.
func (x *exchange) count(status int) {
	if x.tenant != nil {
		x.tenant.countStatus(status)
	}
}

// graphErrorBody is Graph's error shape.
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// errorBody renders a Graph error.
func (x *exchange) errorBody(code, msg string) []byte {
	var b graphErrorBody
	b.Error.Code = code
	b.Error.Message = msg
	b.Error.InnerError.Date = x.s.now().UTC().Format("2006-01-02T15:04:05")
	b.Error.InnerError.RequestID = x.reqID
	b.Error.InnerError.ClientRequestID = x.clientReqID
	out, _ := json.Marshal(b) // a struct of strings always marshals
	return out
}

// fail answers with a Graph error.
func (x *exchange) fail(status int, code, msg string) {
	x.send(status, x.errorBody(code, msg))
}

// throttle answers 429 with Retry-After in the given form.
func (x *exchange) throttle(wait time.Duration, mode RetryAfterMode) {
	setRetryAfter(x.header(), x.s.now(), wait, mode)
	x.fail(http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
}

// graphError answers a request that reached no collection.
func (s *Server) graphError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	s.newExchange(w, r).fail(status, code, msg)
}
