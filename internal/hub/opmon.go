package hub

import (
	"database/sql"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tinhso/tinhso/internal/errs"
)

// Operational monitoring (issue 9 part 6): for every exchange the gateway
// answers, one row of hub_opmon with X-Road's operational-monitoring
// fields (OperationalDataRecord, PR-OPMON Annex B; names as X-Road spells
// them in JSON), written in the message log's group commit, and the
// Prometheus series of the gateway (by service and status, never by
// request). Queries are per member: an official sees the exchanges in
// which one of the members they manage is the client or the provider; the
// hub's managers (hub.manage on the owner unit) see all, as X-Road's owner
// and central monitoring client do.

// OpRecord is one exchange as operational monitoring sees it. The hub is
// both X-Road security servers of an exchange in one, so there is one
// record per exchange (X-Road writes one on each side).
type OpRecord struct {
	XRequestID             string `json:"xRequestId"`
	MessageID              string `json:"messageId" doc:"X-Road-Id"`
	MonitoringDataTs       int64  `json:"monitoringDataTs" doc:"Unix seconds"`
	RequestInTs            int64  `json:"requestInTs" doc:"Unix milliseconds: the request reached the hub"`
	RequestOutTs           int64  `json:"requestOutTs" doc:"sent to the backend (= requestInTs when the hub answered itself)"`
	ResponseInTs           int64  `json:"responseInTs" doc:"the backend's answer arrived (= responseOutTs when the hub answered itself)"`
	ResponseOutTs          int64  `json:"responseOutTs" doc:"the answer's last byte left the hub"`
	SecurityServerType     string `json:"securityServerType"`
	ClientXRoadInstance    string `json:"clientXRoadInstance"`
	ClientMemberClass      string `json:"clientMemberClass"`
	ClientMemberCode       string `json:"clientMemberCode"`
	ClientSubsystemCode    string `json:"clientSubsystemCode"`
	ServiceXRoadInstance   string `json:"serviceXRoadInstance"`
	ServiceMemberClass     string `json:"serviceMemberClass"`
	ServiceMemberCode      string `json:"serviceMemberCode"`
	ServiceSubsystemCode   string `json:"serviceSubsystemCode"`
	ServiceCode            string `json:"serviceCode"`
	ServiceType            string `json:"serviceType" doc:"REST or OPENAPI"`
	RestMethod             string `json:"restMethod"`
	RestPath               string `json:"restPath" doc:"the service path, percent-decoded"`
	StatusCode             int    `json:"statusCode"`
	RequestSize            int64  `json:"requestSize"`
	ResponseSize           int64  `json:"responseSize"`
	Succeeded              bool   `json:"succeeded" doc:"the hub delivered the backend's answer (whatever its status)"`
	FaultCode              string `json:"faultCode,omitempty"`
	FaultString            string `json:"faultString,omitempty"`
	MessageUserID          string `json:"messageUserId,omitempty"`
	MessageIssue           string `json:"messageIssue,omitempty"`
	MessageProtocolVersion string `json:"messageProtocolVersion"`

	clientSubsystem, clientMember, service, serviceSubsystem, serviceMember int64
	day                                                                     string
}

// vnZone is the province's time (no daylight saving): days are counted in it.
var vnZone = time.FixedZone("ICT", 7*3600)

// opRecord is the exchange's monitoring row, ending now.
func (g *Gateway) opRecord(ex *exchange, status int, reqSize, respSize int64, fault, faultString string) *OpRecord {
	end := time.Now()
	out, in := ex.outAt, ex.inAt
	if out.IsZero() {
		out = ex.start
	}
	if in.IsZero() {
		in = end
	}
	op := &OpRecord{XRequestID: ex.xRequestID, MessageID: ex.queryID, MonitoringDataTs: end.Unix(),
		RequestInTs: ex.start.UnixMilli(), RequestOutTs: out.UnixMilli(), ResponseInTs: in.UnixMilli(), ResponseOutTs: end.UnixMilli(),
		SecurityServerType: "Client", ClientXRoadInstance: ex.client.Instance, ClientMemberClass: ex.client.Class, ClientMemberCode: ex.client.Member,
		ClientSubsystemCode: ex.client.Subsystem, ServiceXRoadInstance: ex.sid.Instance, ServiceMemberClass: ex.sid.Class, ServiceMemberCode: ex.sid.Member,
		ServiceSubsystemCode: ex.sid.Subsystem, ServiceCode: ex.sid.Code, ServiceType: "REST", RestMethod: ex.method, RestPath: ex.path,
		StatusCode: status, RequestSize: reqSize, ResponseSize: respSize, Succeeded: fault == "", FaultCode: fault, MessageUserID: ex.userID,
		MessageIssue: ex.issue, MessageProtocolVersion: "1", day: ex.start.In(vnZone).Format(time.DateOnly)}
	if len(faultString) > 2048 {
		faultString = faultString[:2048]
	}
	op.FaultString = validText(faultString)
	if ex.peerIn != nil {
		op.SecurityServerType = "Producer"
	}
	if ex.consumer != nil {
		op.clientSubsystem, op.clientMember = ex.consumer.id, ex.consumer.member
	}
	label := "unknown"
	if ex.svc != nil {
		op.service, op.ServiceType, label = ex.svc.id, ex.svc.typ, ex.sidStr
		if ex.svc.provider != nil {
			op.serviceSubsystem, op.serviceMember = ex.svc.provider.id, ex.svc.provider.member
		}
	} else if slices.Contains(MetaServices, ex.sid.Code) {
		label = ex.sid.Code
	}
	if op.ServiceType == "" {
		op.ServiceType = "REST"
	}
	g.s.metrics.exchanges.WithLabelValues(label, strconv.Itoa(status)).Inc()
	g.s.metrics.duration.WithLabelValues(label).Observe(end.Sub(ex.start).Seconds())
	if fault != "" {
		g.s.metrics.faults.WithLabelValues(fault).Inc()
	}
	return op
}

// hubMetrics are the gateway's Prometheus series.
type hubMetrics struct {
	exchanges *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	faults    *prometheus.CounterVec
}

func newHubMetrics() *hubMetrics {
	return &hubMetrics{
		exchanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tinhso_hub_exchanges_total",
			Help: "Exchanges through the hub's gateway by service (its X-Road identifier, a metaservice code, or unknown) and HTTP status."}, []string{"service", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tinhso_hub_exchange_duration_seconds",
			Help: "Time from the request's arrival at the gateway to the answer's last byte, by service.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"service"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tinhso_hub_faults_total",
			Help: "Errors the gateway answered itself, by X-Road error type."}, []string{"fault"}),
	}
}

// Collectors are the hub's Prometheus series, for the server's /metrics.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.exchanges, s.metrics.duration, s.metrics.faults}
}

const opColumns = `x_request_id, message_id, monitoring_data_ts, request_in_ts, request_out_ts, response_in_ts, response_out_ts, day,
	client_xroad_instance, client_member_class, client_member_code, client_subsystem_code, client_subsystem_id, client_member_id,
	service_xroad_instance, service_member_class, service_member_code, service_subsystem_code, service_code, service_id, service_subsystem_id, service_member_id,
	service_type, rest_method, rest_path, status_code, request_size, response_size, succeeded, fault_code, fault_string, message_user_id, message_issue,
	security_server_type`

// appendOpJSON appends a monitoring row as its block stores it (migration
// 0029): a JSON array of opColumns' values, in their order.
func appendOpJSON(b []byte, o *OpRecord) []byte {
	num := func(v int64) { b = append(strconv.AppendInt(b, v, 10), ',') }
	str := func(v string) { b = append(appendJSONText(b, v), ',') }
	b = append(b, '[')
	str(o.XRequestID)
	str(o.MessageID)
	num(o.MonitoringDataTs)
	num(o.RequestInTs)
	num(o.RequestOutTs)
	num(o.ResponseInTs)
	num(o.ResponseOutTs)
	str(o.day)
	str(o.ClientXRoadInstance)
	str(o.ClientMemberClass)
	str(o.ClientMemberCode)
	str(o.ClientSubsystemCode)
	num(o.clientSubsystem)
	num(o.clientMember)
	str(o.ServiceXRoadInstance)
	str(o.ServiceMemberClass)
	str(o.ServiceMemberCode)
	str(o.ServiceSubsystemCode)
	str(o.ServiceCode)
	num(o.service)
	num(o.serviceSubsystem)
	num(o.serviceMember)
	str(o.ServiceType)
	str(o.RestMethod)
	str(o.RestPath)
	num(int64(o.StatusCode))
	num(o.RequestSize)
	num(o.ResponseSize)
	b = strconv.AppendBool(b, o.Succeeded)
	b = append(b, ',')
	str(o.FaultCode)
	str(o.FaultString)
	str(o.MessageUserID)
	str(o.MessageIssue)
	b = appendJSONText(b, o.SecurityServerType)
	return append(b, ']')
}

// OpQuery selects monitoring records: an interval of requestInTs (Unix
// milliseconds, From inclusive, To exclusive; 0: open), a member (0: every
// member the caller may see), a client subsystem or a service (0: any).
type OpQuery struct {
	From, To  int64
	Member    int64
	Subsystem int64
	Service   int64
	Limit     int  // at most 10,000 (X-Road's max-records-in-payload)
	Newest    bool // newest first (the pages' recent exchanges)
}

// MaxOpRecords bounds one answer, as X-Road's max-records-in-payload does.
const MaxOpRecords = 10000

// opVisible is the members whose traffic the caller sees; nil: all.
func (s *Store) opVisible(r *http.Request) ([]int64, error) {
	if err := s.canView(r); err != nil {
		return nil, err
	}
	owner, err := s.ownerUnit(r.Context())
	if err != nil {
		return nil, err
	}
	if s.can(r, ManageHub, owner) {
		return nil, nil
	}
	ms, err := s.Members(r.Context())
	if err != nil {
		return nil, err
	}
	out := []int64{}
	for _, m := range ms {
		if s.can(r, ManageMember, m.UnitID) {
			out = append(out, m.ID)
		}
	}
	return out, nil
}

// opWhere builds the WHERE clause of a query for what the caller sees.
func (s *Store) opWhere(r *http.Request, q OpQuery) (string, []any, error) {
	visible, err := s.opVisible(r)
	if err != nil {
		return "", nil, err
	}
	where, args := "1=1", []any{}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	// The blocks' bounds, for the blocks' index (migration 0029).
	if q.From > 0 {
		a := arg(q.From)
		where += " AND request_in_ts >= " + a + " AND block_last_ts >= " + a
	}
	if q.To > 0 {
		a := arg(q.To)
		where += " AND request_in_ts < " + a + " AND block_first_ts < " + a
	}
	if q.Subsystem > 0 {
		where += " AND (client_subsystem_id = " + arg(q.Subsystem) + " OR service_subsystem_id = " + arg(q.Subsystem) + ")"
	}
	if q.Service > 0 {
		where += " AND service_id = " + arg(q.Service)
	}
	members := visible
	if q.Member > 0 {
		if visible != nil && !slices.Contains(visible, q.Member) {
			members = []int64{}
		} else {
			members = []int64{q.Member}
		}
	}
	if members != nil {
		if len(members) == 0 {
			return "1=0", nil, nil
		}
		list := ""
		for i, m := range members {
			if i > 0 {
				list += ","
			}
			list += strconv.FormatInt(m, 10)
		}
		where += " AND (client_member_id IN (" + list + ") OR service_member_id IN (" + list + "))"
	}
	return where, args, nil
}

// OpRecords reads the monitoring records a query selects, oldest first;
// next is the requestInTs to ask from for the rest (X-Road's
// nextRecordsFrom), 0 when there is no more.
//
// The records are in the message log's blocks, not in an index by time
// (migration 0029), so a query sorts every record of its range: it is
// asked first of the hour at the range's start (its end, newest first),
// then of a day, a month, and of the whole range only when those hold no
// more than the limit.
func (s *Store) OpRecords(r *http.Request, q OpQuery) (recs []OpRecord, next int64, err error) {
	if q.Limit <= 0 || q.Limit > MaxOpRecords {
		q.Limit = MaxOpRecords
	}
	start, end := q.From, q.To
	if q.Newest && end == 0 {
		end = time.Now().UnixMilli()
	}
	if !q.Newest && start == 0 {
		var first sql.NullInt64
		if err := s.db.Read.QueryRowContext(r.Context(), `SELECT MIN(block_first_ts) FROM hub_opmon`).Scan(&first); err != nil {
			return nil, 0, err
		}
		start = first.Int64
	}
	for _, span := range []time.Duration{time.Hour, 24 * time.Hour, 31 * 24 * time.Hour} {
		w := q
		if q.Newest {
			if w.From = end - span.Milliseconds(); w.From <= q.From {
				break
			}
		} else {
			if w.From, w.To = start, start+span.Milliseconds(); start == 0 || (q.To > 0 && w.To >= q.To) {
				break
			}
		}
		if recs, next, err = s.opRecords(r, w); err != nil || next != 0 {
			return recs, next, err
		}
	}
	return s.opRecords(r, q)
}

// opRecords runs one query of OpRecords.
func (s *Store) opRecords(r *http.Request, q OpQuery) (recs []OpRecord, next int64, err error) {
	where, args, err := s.opWhere(r, q)
	if err != nil {
		return nil, 0, err
	}
	order := " ORDER BY request_in_ts, id"
	if q.Newest {
		order = " ORDER BY request_in_ts DESC, id DESC"
	}
	rows, err := s.db.Read.QueryContext(r.Context(), `SELECT `+opColumns+` FROM hub_opmon WHERE `+where+order+` LIMIT `+strconv.Itoa(q.Limit+1), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	recs = []OpRecord{}
	for rows.Next() {
		var o OpRecord
		if err := rows.Scan(&o.XRequestID, &o.MessageID, &o.MonitoringDataTs, &o.RequestInTs, &o.RequestOutTs, &o.ResponseInTs, &o.ResponseOutTs, &o.day,
			&o.ClientXRoadInstance, &o.ClientMemberClass, &o.ClientMemberCode, &o.ClientSubsystemCode, &o.clientSubsystem, &o.clientMember,
			&o.ServiceXRoadInstance, &o.ServiceMemberClass, &o.ServiceMemberCode, &o.ServiceSubsystemCode, &o.ServiceCode, &o.service, &o.serviceSubsystem, &o.serviceMember,
			&o.ServiceType, &o.RestMethod, &o.RestPath, &o.StatusCode, &o.RequestSize, &o.ResponseSize, &o.Succeeded, &o.FaultCode, &o.FaultString, &o.MessageUserID, &o.MessageIssue,
			&o.SecurityServerType); err != nil {
			return nil, 0, err
		}
		o.MessageProtocolVersion = "1"
		recs = append(recs, o)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(recs) > q.Limit {
		next = recs[q.Limit].RequestInTs
		recs = recs[:q.Limit]
	}
	return recs, next, nil
}

// OpStat is a group of exchanges: a service, a client subsystem or a day.
type OpStat struct {
	Key       string  `json:"key" doc:"the service's or client's X-Road identifier, or the day (yyyy-mm-dd, ICT)"`
	Requests  int64   `json:"requests"`
	Failed    int64   `json:"failed" doc:"not succeeded (the hub answered an error) or a backend status of 500 or more"`
	ErrorRate float64 `json:"errorRate" doc:"failed / requests"`
	P50MS     float64 `json:"p50Ms" doc:"requestInTs to responseOutTs, milliseconds"`
	P95MS     float64 `json:"p95Ms"`
	P99MS     float64 `json:"p99Ms"`
	Bytes     int64   `json:"bytes" doc:"request and response bodies"`
	durations []int64
}

// OpStats are the totals of an interval.
type OpStats struct {
	From      int64    `json:"from"`
	To        int64    `json:"to"`
	Total     OpStat   `json:"total"`
	Services  []OpStat `json:"services"`
	Clients   []OpStat `json:"clients"`
	Days      []OpStat `json:"days"`
	Truncated bool     `json:"truncated,omitempty" doc:"more than MaxOpStatRows exchanges: the figures cover the first ones"`
}

// MaxOpStatRows bounds the exchanges one statistics answer reads.
const MaxOpStatRows = 200000

// Stats totals the exchanges a query selects per service, client and day,
// with error rates and latency percentiles.
func (s *Store) Stats(r *http.Request, q OpQuery) (OpStats, error) {
	where, args, err := s.opWhere(r, q)
	if err != nil {
		return OpStats{}, err
	}
	st := OpStats{From: q.From, To: q.To, Total: OpStat{Key: "total"}}
	rows, err := s.db.Read.QueryContext(r.Context(), `SELECT day, client_xroad_instance, client_member_class, client_member_code, client_subsystem_code,
		service_xroad_instance, service_member_class, service_member_code, service_subsystem_code, service_code, succeeded, status_code,
		response_out_ts - request_in_ts, request_size + response_size FROM hub_opmon WHERE `+where+` ORDER BY request_in_ts LIMIT `+strconv.Itoa(MaxOpStatRows+1), args...)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	svcs, clients, days := map[string]*OpStat{}, map[string]*OpStat{}, map[string]*OpStat{}
	add := func(m map[string]*OpStat, k string, failed bool, d, n int64) {
		x := m[k]
		if x == nil {
			x = &OpStat{Key: k}
			m[k] = x
		}
		x.add(failed, d, n)
	}
	count := 0
	for rows.Next() {
		var day, ci, cc, cm, cs, si, sc, sm, ss, code string
		var ok bool
		var status int
		var d, n int64
		if err := rows.Scan(&day, &ci, &cc, &cm, &cs, &si, &sc, &sm, &ss, &code, &ok, &status, &d, &n); err != nil {
			return st, err
		}
		if count++; count > MaxOpStatRows {
			st.Truncated = true
			break
		}
		failed := !ok || status >= 500
		client := ClientID{ci, cc, cm, cs}.String()
		if ci == "" {
			client = "-"
		}
		add(svcs, ServiceID{ClientID{si, sc, sm, ss}, code}.String(), failed, d, n)
		add(clients, client, failed, d, n)
		add(days, day, failed, d, n)
		st.Total.add(failed, d, n)
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	st.Total.finish()
	st.Services, st.Clients, st.Days = sorted(svcs, true), sorted(clients, true), sorted(days, false)
	return st, nil
}

func (x *OpStat) add(failed bool, d, n int64) {
	x.Requests++
	if failed {
		x.Failed++
	}
	x.Bytes += n
	x.durations = append(x.durations, d)
}

func (x *OpStat) finish() {
	if x.Requests > 0 {
		x.ErrorRate = float64(x.Failed) / float64(x.Requests)
	}
	slices.Sort(x.durations)
	pct := func(p float64) float64 {
		if len(x.durations) == 0 {
			return 0
		}
		i := int(p*float64(len(x.durations))+0.999999) - 1
		return float64(x.durations[max(0, min(i, len(x.durations)-1))])
	}
	x.P50MS, x.P95MS, x.P99MS = pct(.50), pct(.95), pct(.99)
	x.durations = nil
}

// sorted lists a map's groups, the busiest first (or by key).
func sorted(m map[string]*OpStat, byCount bool) []OpStat {
	out := make([]OpStat, 0, len(m))
	for _, x := range m {
		x.finish()
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool {
		if byCount && out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// opQuery reads an OpQuery from a request's query string: from and to as
// dates (yyyy-mm-dd, the province's days, to inclusive) or Unix
// milliseconds; member, subsystem, service ids; limit.
func opQuery(r *http.Request) (OpQuery, error) {
	var q OpQuery
	v := errs.Validator{Context: "hub"}
	get := r.URL.Query().Get
	ts := func(name string, end bool) int64 {
		raw := get(name)
		if raw == "" {
			return 0
		}
		if d, err := time.ParseInLocation(time.DateOnly, raw, vnZone); err == nil {
			if end {
				d = d.AddDate(0, 0, 1)
			}
			return d.UnixMilli()
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		v.Check(err == nil && n > 0, name, "date")
		return n
	}
	q.From, q.To = ts("from", false), ts("to", true)
	if q.From > 0 && q.To > 0 {
		v.Check(q.From < q.To, "to", "hub_to_before_from")
	}
	var err error
	for name, dst := range map[string]*int64{"member": &q.Member, "subsystem": &q.Subsystem, "service": &q.Service} {
		if *dst, err = idQuery(r, name); err != nil {
			return q, err
		}
	}
	if raw := get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		v.Check(err == nil && n > 0 && n <= MaxOpRecords, "limit", "range", 1, MaxOpRecords)
		q.Limit = n
	}
	return q, v.Err()
}

// At is requestInTs as a time, for the pages.
func (o OpRecord) At() time.Time { return time.UnixMilli(o.RequestInTs) }

// DurationMS is requestInTs to responseOutTs.
func (o OpRecord) DurationMS() int64 { return o.ResponseOutTs - o.RequestInTs }

// Client is the client's identifier ("-" when it sent none).
func (o OpRecord) Client() string {
	if o.ClientXRoadInstance == "" {
		return "-"
	}
	return ClientID{o.ClientXRoadInstance, o.ClientMemberClass, o.ClientMemberCode, o.ClientSubsystemCode}.String()
}

// Service is the service's identifier.
func (o OpRecord) Service() string {
	return ServiceID{ClientID{o.ServiceXRoadInstance, o.ServiceMemberClass, o.ServiceMemberCode, o.ServiceSubsystemCode}, o.ServiceCode}.String()
}

// ErrorPercent is the error rate in percent, for the pages.
func (x OpStat) ErrorPercent() float64 { return x.ErrorRate * 100 }
