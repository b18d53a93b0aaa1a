package hub

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// X-Road's REST protocol as the gateway speaks it (PR-REST 1.0.4 and X-Road
// 7's proxy code, see ../shared/research/dhis2-xroad.md §A1).
//
// Errors the gateway itself answers carry X-Road-Error: <type> and a body
// {"type","message","detail"} (XML <error><type/><message/><detail/></error>
// when Accept asks for text/xml, application/xml or text/*), detail being
// the exchange's X-Road-Request-Id, which names its record in the message
// log. The status follows X-Road's rule: a type starting Server. is 500,
// Client. is 400 — except Client.RateLimited, tinhso's own (X-Road has no
// rate limits), which is 429 with Retry-After. The types are spelled as
// X-Road 7.0–7.7 spell them (CamelCase, the default) or as 7.8 does
// (lower snake case), never both; --hub-errors chooses. A backend's own
// error (any status it answers) passes through unchanged, without
// X-Road-Error. The types:
//
//	Client.BadRequest                              the /r1/ path, an identifier, the method or the service path is malformed (also ".." in the path)
//	Client.InvalidClientIdentifier                 X-Road-Client is missing or malformed
//	Client.RateLimited                             the consumer called faster than its rate (429)
//	Server.ClientProxy.SslAuthenticationFailed     no credential, an unknown, expired or revoked one, or one that is not X-Road-Client's
//	Server.ClientProxy.UnknownMember               X-Road-Client names no registered subsystem
//	Server.ClientProxy.LoggingFailed               the message log cannot be written (the hub fails closed)
//	Server.ClientProxy.InternalError               anything else of the hub's own
//	Server.ServerProxy.UnknownService              no such service
//	Server.ServerProxy.ServiceDisabled             the service, or the endpoint called, is disabled
//	Server.ServerProxy.AccessDenied                the consumer has no right to the service or endpoint
//	Server.ServerProxy.InvalidRequest              a metaservice call lacks what it needs (getOpenAPI without serviceCode)
//	Server.ServerProxy.InternalError               a metaservice cannot answer (getOpenAPI of a service without a description)
//	Server.ServerProxy.ServiceFailed.NetworkError  the backend cannot be reached
//	Server.ServerProxy.ServiceFailed.IOError       the backend timed out or broke the connection
//	Server.ServerProxy.ServiceFailed.CircuitOpen   tinhso's own: the backend failed again and again, its breaker is open (Retry-After)
//
// Federation (peers.go) adds, on the consumer's hub (Server.ClientProxy:
// the call did not reach the peer's backend because of this hub or the
// way to the peer):
//
//	Server.ClientProxy.UnknownMember               the service's instance is neither this hub's nor a registered peer's
//	Server.ClientProxy.ServiceDisabled             the peer of the service's instance is disabled
//	Server.ClientProxy.NetworkError                the peer's gateway cannot be reached
//	Server.ClientProxy.IOError                     the peer's gateway timed out or broke the connection
//	Server.ClientProxy.SslAuthenticationFailed     the peer's server certificate does not chain to its registered CA, or the peer refused this hub's certificate
//
// and on the provider's hub, to a peer's hub calling:
//
//	Server.ServerProxy.SslAuthenticationFailed     the calling peer is disabled, or X-Road-Client is not of the calling peer's instance
//	Server.ServerProxy.AccessDenied                the foreign consumer has no right to the service (also: calls through to a third instance)
//
// A peer's own X-Road error reaches the consumer as the peer answered it,
// X-Road-Error included.
//
// A request the gateway cannot read — headers larger than 16 KiB, headers
// or a body that do not arrive in time (slowloris), a malformed request —
// gets Client.BadRequest and the connection is closed.

// Fault types.
const (
	FaultBadRequest     = "Client.BadRequest"
	FaultInvalidClient  = "Client.InvalidClientIdentifier"
	FaultRateLimited    = "Client.RateLimited"
	FaultAuthentication = "Server.ClientProxy.SslAuthenticationFailed"
	FaultUnknownMember  = "Server.ClientProxy.UnknownMember"
	FaultLoggingFailed  = "Server.ClientProxy.LoggingFailed"
	FaultTimestamping   = "Server.ClientProxy.TimestampingFailed"
	FaultInternal       = "Server.ClientProxy.InternalError"
	FaultUnknownService = "Server.ServerProxy.UnknownService"
	FaultDisabled       = "Server.ServerProxy.ServiceDisabled"
	FaultAccessDenied   = "Server.ServerProxy.AccessDenied"
	FaultInvalidRequest = "Server.ServerProxy.InvalidRequest"
	FaultMetaInternal   = "Server.ServerProxy.InternalError"
	FaultNetwork        = "Server.ServerProxy.ServiceFailed.NetworkError"
	FaultIO             = "Server.ServerProxy.ServiceFailed.IOError"
	FaultCircuitOpen    = "Server.ServerProxy.ServiceFailed.CircuitOpen"

	FaultPeerDisabled = "Server.ClientProxy.ServiceDisabled"
	FaultPeerNetwork  = "Server.ClientProxy.NetworkError"
	FaultPeerIO       = "Server.ClientProxy.IOError"
	FaultPeerCaller   = "Server.ServerProxy.SslAuthenticationFailed"
)

// snakeFaults are the X-Road 7.8 spellings (ErrorCodes.java at 7.8.0).
var snakeFaults = map[string]string{
	FaultBadRequest:     "client.bad_request",
	FaultInvalidClient:  "client.invalid_client_identifier",
	FaultRateLimited:    "client.rate_limited",
	FaultAuthentication: "server.clientproxy.ssl_authentication_failed",
	FaultUnknownMember:  "server.clientproxy.unknown_member",
	FaultLoggingFailed:  "server.clientproxy.logging_failed",
	FaultTimestamping:   "server.clientproxy.timestamping_failed",
	FaultInternal:       "server.clientproxy.internal_error",
	FaultUnknownService: "server.serverproxy.unknown_service",
	FaultDisabled:       "server.serverproxy.service_disabled",
	FaultAccessDenied:   "server.serverproxy.access_denied",
	FaultInvalidRequest: "server.serverproxy.invalid_request",
	FaultMetaInternal:   "server.serverproxy.internal_error",
	FaultNetwork:        "server.serverproxy.service_failed.network_error",
	FaultIO:             "server.serverproxy.service_failed.io_error",
	FaultCircuitOpen:    "server.serverproxy.service_failed.circuit_open",
	FaultPeerDisabled:   "server.clientproxy.service_disabled",
	FaultPeerNetwork:    "server.clientproxy.network_error",
	FaultPeerIO:         "server.clientproxy.io_error",
	FaultPeerCaller:     "server.serverproxy.ssl_authentication_failed",
}

// FaultStatus is the HTTP status of a fault type.
func FaultStatus(fault string) int {
	switch {
	case fault == FaultRateLimited:
		return fasthttp.StatusTooManyRequests
	case strings.HasPrefix(fault, "Server."):
		return fasthttp.StatusInternalServerError
	}
	return fasthttp.StatusBadRequest
}

// Header names, as X-Road's MimeUtils writes them.
const (
	hdrClient        = "X-Road-Client"
	hdrID            = "X-Road-Id"
	hdrUserID        = "X-Road-UserId"
	hdrIssue         = "X-Road-Issue"
	hdrRequestID     = "X-Road-Request-Id"
	hdrRequestHash   = "X-Road-Request-Hash"
	hdrService       = "X-Road-Service"
	hdrError         = "X-Road-Error"
	hdrRepresented   = "X-Road-Represented-Party"
	hdrSecurityServe = "X-Road-Security-Server"
)

// skipped are the headers never passed on, either way (RestMessage's
// SKIPPED_HEADERS): hop-by-hop ones, Host, User-Agent, Server, Expect and
// Content-Length (the body's framing is the hub's).
var skipped = map[string]bool{
	"transfer-encoding": true, "keep-alive": true, "proxy-authenticate": true, "proxy-authorization": true, "te": true,
	"trailer": true, "upgrade": true, "connection": true, "user-agent": true, "host": true, "content-length": true,
	"server": true, "expect": true,
}

// skipRequest: besides the skipped ones, the request's X-Road-Request-Id and
// X-Road-Request-Hash are dropped (the hub sets them), and Authorization
// when it carried the consumer's token for the hub (a consumer that
// authenticates with its certificate may send one for the backend).
func skipRequest(lower []byte, bearer bool) bool {
	switch string(lower) {
	case "x-road-request-id", "x-road-request-hash":
		return true
	case "authorization":
		return bearer
	}
	return skipped[string(lower)]
}

// skipResponse: besides the skipped ones, the backend's own x-road-id,
// -client, -service, -request-id and -request-hash are dropped (the hub
// sets them, as RestResponse does).
func skipResponse(lower []byte) bool {
	switch string(lower) {
	case "x-road-id", "x-road-client", "x-road-service", "x-road-request-id", "x-road-request-hash", "x-road-error":
		return true
	}
	return skipped[string(lower)]
}

// newUUID is a version-7 UUID (RFC 9562): 48 bits of Unix milliseconds, then
// random bits. Time-ordered ids keep the message log's index on
// x_request_id appending at its right edge instead of splitting pages at
// random; that alone took the gateway from ~10,400 to ~14,000 req/s on the
// load benchmark (docs/perf.md).
func newUUID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// faultBody is an X-Road error body.
type faultBody struct {
	XMLName xml.Name `json:"-" xml:"error"`
	Type    string   `json:"type" xml:"type"`
	Message string   `json:"message" xml:"message"`
	Detail  string   `json:"detail" xml:"detail"`
}

// wantsXML reports whether Accept asks for XML, as X-Road decides.
func wantsXML(accept []byte) bool {
	for _, part := range strings.Split(string(accept), ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/xml", "application/xml", "text/*":
			return true
		}
	}
	return false
}

// writeFault answers with an X-Road error.
func (g *Gateway) writeFault(ctx *fasthttp.RequestCtx, fault, message, detail string) {
	typ := fault
	if g.snake {
		if s, ok := snakeFaults[fault]; ok {
			typ = s
		}
	}
	retry := string(ctx.Response.Header.Peek("Retry-After"))
	ctx.Response.Reset()
	if retry != "" {
		ctx.Response.Header.Set("Retry-After", retry)
	}
	ctx.SetStatusCode(FaultStatus(fault))
	ctx.Response.Header.Set(hdrError, typ)
	if fault == FaultRateLimited && retry == "" {
		ctx.Response.Header.Set("Retry-After", "1")
	}
	body := faultBody{Type: typ, Message: message, Detail: detail}
	if wantsXML(ctx.Request.Header.Peek("Accept")) {
		ctx.SetContentType("text/xml; charset=utf-8")
		b, _ := xml.MarshalIndent(body, "", "  ")
		ctx.SetBody(append([]byte(xml.Header), b...))
		return
	}
	ctx.SetContentType("application/json; charset=utf-8")
	b, _ := json.Marshal(body)
	ctx.SetBody(b)
}

// readError answers a request fasthttp could not read (the server's
// ErrorHandler): headers too large, too slow, or malformed.
func (g *Gateway) readError(ctx *fasthttp.RequestCtx, err error) {
	msg := "The request could not be read: " + err.Error()
	var small *fasthttp.ErrSmallBuffer
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &small):
		msg = "The request's headers are larger than the hub accepts"
	case errors.As(err, &ne) && ne.Timeout():
		msg = "The request did not arrive in time"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		msg = "The request body is larger than the hub accepts"
	}
	g.writeFault(ctx, FaultBadRequest, msg, "")
}
