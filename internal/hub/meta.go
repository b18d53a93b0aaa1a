package hub

import (
	"bytes"
	"context"

	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// X-Road's metadata services (PR-MREST; PR-META for listClients), in the
// JSON shapes X-Road's code writes (Jackson, SNAKE_CASE, NON_NULL) — the
// Annex A schema of PR-MREST is not what the code produces, Annex B is.

// listClients JSON.
type xClientID struct {
	MemberClass   string `json:"member_class"`
	MemberCode    string `json:"member_code"`
	SubsystemCode string `json:"subsystem_code,omitempty"`
	ObjectType    string `json:"object_type"`
	XRoadInstance string `json:"xroad_instance"`
}

type xClient struct {
	ID            xClientID `json:"id"`
	Name          string    `json:"name,omitempty"`
	SubsystemName string    `json:"subsystem_name,omitempty"`
}

type xClientList struct {
	Member []xClient `json:"member"`
}

// listMethods / allowedMethods JSON.
type xEndpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

type xService struct {
	MemberClass   string      `json:"member_class"`
	MemberCode    string      `json:"member_code"`
	ObjectType    string      `json:"object_type"`
	ServiceCode   string      `json:"service_code"`
	ServiceType   string      `json:"service_type"`
	SubsystemCode string      `json:"subsystem_code"`
	XRoadInstance string      `json:"xroad_instance"`
	EndpointList  []xEndpoint `json:"endpoint_list"`
}

type xServiceList struct {
	Service []xService `json:"service"`
}

// acceptsJSON: Accept names application/json (parameters and q ignored,
// as X-Road's acceptsJson does).
func acceptsJSON(accept []byte) bool {
	for _, part := range strings.Split(string(accept), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, _ := json.Marshal(v)
	ctx.SetContentType("application/json; charset=utf-8")
	ctx.SetBody(b)
}

// listClients answers GET /listClients[?xRoadInstance=]: the members and
// subsystems of the instance, JSON when Accept asks for it, else XML.
func (g *Gateway) listClients(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() {
		g.writeFault(ctx, FaultBadRequest, "listClients takes GET", "")
		return
	}
	inst := string(ctx.QueryArgs().Peek("xRoadInstance"))
	if inst == "" {
		inst = g.s.opt.Instance
	}
	snap := g.s.snapshot()
	if p := snap.peers[inst]; p != nil && p.enabled && inst != g.s.opt.Instance {
		g.peerClients(ctx, p)
		return
	}
	list := xClientList{Member: []xClient{}}
	for _, m := range snap.members {
		if m.xid.Instance != inst {
			continue
		}
		list.Member = append(list.Member, xClient{ID: xClientID{MemberClass: m.xid.Class, MemberCode: m.xid.Member, ObjectType: ObjectMember, XRoadInstance: m.xid.Instance}, Name: m.name})
		for _, x := range m.subsystems {
			list.Member = append(list.Member, xClient{ID: xClientID{MemberClass: m.xid.Class, MemberCode: m.xid.Member, SubsystemCode: x.xid.Subsystem, ObjectType: ObjectSubsystem, XRoadInstance: m.xid.Instance},
				Name: m.name, SubsystemName: x.name})
		}
	}
	if acceptsJSON(ctx.Request.Header.Peek("Accept")) {
		writeJSON(ctx, list)
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<xrd:clientList xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">` + "\n")
	text := func(s string) string {
		var t bytes.Buffer
		xml.EscapeText(&t, []byte(s))
		return t.String()
	}
	for _, c := range list.Member {
		b.WriteString(`  <xrd:member>` + "\n")
		b.WriteString(`    <xrd:id id:objectType="` + c.ID.ObjectType + `">`)
		b.WriteString(`<id:xRoadInstance>` + text(c.ID.XRoadInstance) + `</id:xRoadInstance>`)
		b.WriteString(`<id:memberClass>` + text(c.ID.MemberClass) + `</id:memberClass>`)
		b.WriteString(`<id:memberCode>` + text(c.ID.MemberCode) + `</id:memberCode>`)
		if c.ID.SubsystemCode != "" {
			b.WriteString(`<id:subsystemCode>` + text(c.ID.SubsystemCode) + `</id:subsystemCode>`)
		}
		b.WriteString("</xrd:id>\n")
		b.WriteString(`    <xrd:name>` + text(c.Name) + "</xrd:name>\n")
		if c.SubsystemName != "" {
			b.WriteString(`    <xrd:subsystemName>` + text(c.SubsystemName) + "</xrd:subsystemName>\n")
		}
		b.WriteString("  </xrd:member>\n")
	}
	b.WriteString("</xrd:clientList>\n")
	ctx.SetContentType("text/xml; charset=utf-8")
	ctx.SetBody(b.Bytes())
}

func serviceDetails(v *snapService) xService {
	return xService{MemberClass: v.xid.Class, MemberCode: v.xid.Member, ObjectType: ObjectService, ServiceCode: v.xid.Code, ServiceType: v.typ,
		SubsystemCode: v.xid.Subsystem, XRoadInstance: v.xid.Instance, EndpointList: []xEndpoint{}}
}

// listedEndpoints are a service's endpoints as listMethods shows them: not
// the base endpoint (* **), not the disabled ones, paths in X-Road's glob form.
func listedEndpoints(v *snapService, keep func(*snapEndpoint) bool) []xEndpoint {
	out := []xEndpoint{}
	for _, e := range v.endpoints {
		if !e.enabled || (e.method == "*" && e.path == "**") || !keep(e) {
			continue
		}
		out = append(out, xEndpoint{Method: e.method, Path: e.glob})
	}
	return out
}

// meta answers listMethods, allowedMethods and getOpenAPI addressed to a
// provider subsystem; they need a credential but no right (X-Road's
// metaservices do not verify access).
func (g *Gateway) meta(ctx *fasthttp.RequestCtx, snap *snapshot, ex *exchange) {
	provider := snap.byClient[ex.sid.ClientID]
	if provider == nil {
		g.refuse(ctx, ex, FaultUnknownService, "Unknown service: "+ex.sidStr)
		return
	}
	switch ex.sid.Code {
	case "listMethods":
		list := xServiceList{Service: []xService{}}
		for _, v := range snap.servicesOf[provider.id] {
			d := serviceDetails(v)
			d.EndpointList = listedEndpoints(v, func(*snapEndpoint) bool { return true })
			list.Service = append(list.Service, d)
		}
		writeJSON(ctx, list)
	case "allowedMethods":
		list := xServiceList{Service: []xService{}}
		for _, v := range snap.servicesOf[provider.id] {
			rights := v.rights[ex.consumer.id]
			if len(rights) == 0 {
				continue
			}
			d := serviceDetails(v)
			d.EndpointList = listedEndpoints(v, func(e *snapEndpoint) bool {
				for _, r := range rights {
					if r == 0 || r == e.id {
						return true
					}
					for _, o := range v.endpoints {
						if o.id == r && o.matches(e.method, e.glob) {
							return true
						}
					}
				}
				return false
			})
			list.Service = append(list.Service, d)
		}
		writeJSON(ctx, list)
	case "getOpenAPI":
		code := ""
		for k, v := range ctx.QueryArgs().All() {
			if strings.EqualFold(string(k), "serviceCode") {
				code = string(v)
			}
		}
		if code == "" {
			g.refuse(ctx, ex, FaultInvalidRequest, "Missing serviceCode in message body")
			return
		}
		target := ServiceID{ex.sid.ClientID, code}
		v := snap.services[target]
		if v == nil {
			g.refuse(ctx, ex, FaultMetaInternal, "Service not found: "+target.String())
			return
		}
		if v.typ != TypeOpenAPI {
			g.refuse(ctx, ex, FaultMetaInternal, "Invalid service type: "+v.typ)
			return
		}
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		doc, mt, err := g.s.OpenAPI(rctx, v.id)
		cancel()
		if err != nil {
			g.refuse(ctx, ex, FaultMetaInternal, "Failed reading service description of "+target.String())
			return
		}
		format := "yaml"
		if mt == "application/json" {
			format = "json"
		}
		ctx.SetContentType(mt + "; charset=utf-8")
		ctx.SetBody(anonymise(doc, format))
	}
	h := &ctx.Response.Header
	h.Set(hdrID, ex.queryID)
	h.Set(hdrClient, ex.clientStr)
	h.Set(hdrService, ex.sidStr)
	h.Set(hdrRequestID, ex.xRequestID)
	if g.log != nil {
		rec := ex.record(RecordMeta)
		rec.Status = ctx.Response.StatusCode()
		rec.ResponseSize = int64(len(ctx.Response.Body()))
		rec.RequestSHA256 = emptySHA256
		rec.ResponseSHA256 = sha256Hex(ctx.Response.Body())
		rec.DurationUS = time.Since(ex.start).Microseconds()
		rec.Op = g.opRecord(ex, rec.Status, 0, rec.ResponseSize, "", "")
		g.log.TryAppend(rec)
	}
}

// token is the OAuth2 token endpoint of the gateway's listener: the
// provider's own (internal/sso), called in process with the request's
// form, Authorization and address, so that clients buying tokens here get
// the same tokens, errors, audit and throttling as at the provider's
// /oauth2/token.
func (g *Gateway) token(ctx *fasthttp.RequestCtx) {
	if g.tokens == nil {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		writeJSON(ctx, map[string]string{"error": "invalid_request", "error_description": "this hub issues no tokens"})
		return
	}
	var raw []byte
	if st := ctx.RequestBodyStream(); st != nil {
		raw, _ = io.ReadAll(io.LimitReader(st, 8<<10))
	} else {
		raw = ctx.PostBody()
	}
	// Not ctx: fasthttp recycles a RequestCtx once the handler returns, and
	// the provider's database calls derive contexts from the request's
	// (context.WithCancel starts a goroutine that reads the parent later),
	// which raced with the next request on the same RequestCtx.
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := http.NewRequestWithContext(rctx, string(ctx.Method()), "/oauth2/token", bytes.NewReader(raw))
	if err != nil {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		writeJSON(ctx, map[string]string{"error": "invalid_request"})
		return
	}
	for _, h := range []string{"Content-Type", "Authorization"} {
		if v := ctx.Request.Header.Peek(h); len(v) > 0 {
			r.Header.Set(h, string(v))
		}
	}
	if r.Header.Get("Content-Type") == "" {
		// The hub's own endpoint read the form whatever the header said.
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Host, r.RemoteAddr = string(ctx.Host()), ctx.RemoteAddr().String()
	if ctx.IsTLS() {
		r.TLS = ctx.TLSConnectionState()
	}
	w := &tokenAnswer{header: http.Header{}, status: http.StatusOK}
	g.tokens.ServeHTTP(w, r)
	for k, vs := range w.header {
		for _, v := range vs {
			ctx.Response.Header.Add(k, v)
		}
	}
	ctx.SetStatusCode(w.status)
	ctx.SetBody(w.body.Bytes())
}

// tokenAnswer collects the provider's answer.
type tokenAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (w *tokenAnswer) Header() http.Header { return w.header }

func (w *tokenAnswer) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
}

func (w *tokenAnswer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// peerClients answers listClients for a federated peer's instance with
// the peer hub's own list, asked over the mutual TLS of an exchange (X-Road
// reads it from the global configuration the instances share; a peer hub
// is its own registry's only source here). The client's Accept is passed
// on, so JSON or XML comes back as asked.
func (g *Gateway) peerClients(ctx *fasthttp.RequestCtx, p *snapPeer) {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI(p.address.Scheme + "://" + p.address.Host + strings.TrimSuffix(p.address.EscapedPath(), "/") + "/listClients")
	req.Header.SetMethod("GET")
	if a := ctx.Request.Header.Peek("Accept"); len(a) > 0 {
		req.Header.SetBytesV("Accept", a)
	}
	if err := g.peerClient(p).DoTimeout(req, res, p.timeout); err != nil {
		fault, msg := peerFault(p, err)
		g.writeFault(ctx, fault, msg, "")
		return
	}
	if res.StatusCode() != fasthttp.StatusOK {
		g.writeFault(ctx, FaultPeerIO, fmt.Sprintf("The hub of instance %s answered listClients with %d", p.instance, res.StatusCode()), "")
		return
	}
	ctx.SetContentTypeBytes(res.Header.ContentType())
	ctx.SetBody(res.Body())
}
