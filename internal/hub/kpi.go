package hub

import (
	"context"
	"net/http"
	"time"

	"github.com/tinhso/tinhso/internal/httpx"
)

// The KPI measures itself (issue 9 part 6): Lai Châu's "tỷ lệ hệ thống
// thông tin được kết nối, liên thông qua nền tảng tích hợp, chia sẻ dữ
// liệu" and the number of connections are computed from the registry and
// the traffic, never typed: a registered subsystem (information system)
// of a member under the unit counts as connected once it has taken part in
// an exchange that succeeded — as the client or as the provider, a
// metaservice call not counting — within the period; a connection is a
// (client subsystem, service) pair with such an exchange, the service
// being this hub's or a peer hub's (federation).

// KPI codes, the indicators of the reporting domain the hub computes.
const (
	// KPIShareConnected is the share (%) of a unit's information systems
	// registered in the hub that exchanged through it in the period.
	KPIShareConnected = "CDS.LGSP.HETHONG.TYLE"
	// KPIConnections is the number of connections (client system ×
	// service) that carried an exchange in the period.
	KPIConnections = "CDS.LGSP.KETNOI.SO"
)

// KPI is the hub's measure of itself for a unit and a period.
type KPI struct {
	UnitID      int64   `json:"unitId"`
	From        string  `json:"from" doc:"yyyy-mm-dd, the province's days"`
	To          string  `json:"to" doc:"yyyy-mm-dd, inclusive"`
	Systems     int     `json:"systems" doc:"subsystems registered under the unit's members"`
	Connected   int     `json:"connected" doc:"of them, those that took part in a successful exchange in the period"`
	Share       float64 `json:"share" doc:"connected / systems × 100 (0 when no system is registered)"`
	Connections int     `json:"connections" doc:"client system × service pairs with a successful exchange in the period, one side under the unit"`
}

// Measure computes the KPI for a unit's subtree (0: the whole hub) over
// the days from..to (inclusive, ICT).
func (s *Store) Measure(ctx context.Context, unit int64, from, to time.Time) (KPI, error) {
	k := KPI{UnitID: unit, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, vnZone).UnixMilli()
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, vnZone).AddDate(0, 0, 1).UnixMilli()
	ms, err := s.Members(ctx)
	if err != nil {
		return k, err
	}
	inScope := map[int64]bool{}
	for _, m := range ms {
		if m.Instance != s.opt.Instance {
			continue // a peer instance's systems are its own hub's to count
		}
		ok := unit == 0
		if !ok {
			if ok, err = s.org.Within(ctx, m.UnitID, unit); err != nil {
				return k, err
			}
		}
		if ok {
			inScope[m.ID] = true
		}
	}
	systems := map[int64]bool{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, member_id FROM hub_subsystems`)
	if err != nil {
		return k, err
	}
	for rows.Next() {
		var id, member int64
		if err := rows.Scan(&id, &member); err != nil {
			rows.Close()
			return k, err
		}
		if inScope[member] {
			systems[id] = false
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return k, err
	}
	// A service of a peer instance (federation) is not in the registry
	// (service_id 0): its pair is told apart by its identifier, and only
	// the calling side is this hub's to count.
	rows, err = s.db.Read.QueryContext(ctx, `SELECT DISTINCT client_subsystem_id, service_id, service_subsystem_id,
		service_xroad_instance, service_member_class, service_member_code, service_subsystem_code, service_code FROM hub_opmon
		WHERE succeeded = $1 AND (service_id > 0 OR service_xroad_instance <> $4) AND request_in_ts >= $2 AND request_in_ts < $3
		AND block_last_ts >= $2 AND block_first_ts < $3`, true, start, end, s.opt.Instance)
	if err != nil {
		return k, err
	}
	defer rows.Close()
	for rows.Next() {
		var client, service, provider int64
		var sid ServiceID
		if err := rows.Scan(&client, &service, &provider, &sid.Instance, &sid.Class, &sid.Member, &sid.Subsystem, &sid.Code); err != nil {
			return k, err
		}
		_, c := systems[client]
		_, p := systems[provider]
		if c {
			systems[client] = true
		}
		if p {
			systems[provider] = true
		}
		if c || p {
			k.Connections++
		}
	}
	if err := rows.Err(); err != nil {
		return k, err
	}
	k.Systems = len(systems)
	for _, on := range systems {
		if on {
			k.Connected++
		}
	}
	if k.Systems > 0 {
		k.Share = float64(k.Connected) * 100 / float64(k.Systems)
	}
	return k, nil
}

// kpiOf answers GET /api/v1/hub/kpi?unit=&from=&to= (dates; default the
// current year).
func (s *Store) kpiOf(r *http.Request) (KPI, error) {
	if err := s.canView(r); err != nil {
		return KPI{}, err
	}
	unit, err := idQuery(r, "unit")
	if err != nil {
		return KPI{}, err
	}
	now := time.Now().In(vnZone)
	from, to := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, vnZone), now
	q, err := opQuery(r)
	if err != nil {
		return KPI{}, err
	}
	if q.From > 0 {
		from = time.UnixMilli(q.From).In(vnZone)
	}
	if q.To > 0 {
		to = time.UnixMilli(q.To - 1).In(vnZone)
	}
	return s.Measure(r.Context(), unit, from, to)
}

func (s *Store) opRoutes(api *httpx.API) {
	const tag = "hub"
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/hub/opmon", Tag: tag, Summary: "Operational monitoring records with X-Road's field names (requestInTs … xRequestId), oldest first; an official sees the exchanges of the members they manage",
		Response: OpRecords{}, Query: []string{"from: a date (yyyy-mm-dd) or Unix ms", "to: a date (inclusive) or Unix ms (exclusive)", "member, subsystem, service: ids", "limit: at most 10000"}},
		func(w http.ResponseWriter, r *http.Request) error {
			q, err := opQuery(r)
			if err != nil {
				return err
			}
			recs, next, err := s.OpRecords(r, q)
			if err != nil {
				return err
			}
			httpx.JSON(w, http.StatusOK, OpRecords{RecordsCount: len(recs), Records: recs, NextRecordsFrom: next})
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/hub/opmon/stats", Tag: tag, Summary: "Totals per service, client and day: requests, failures, error rate, latency percentiles",
		Response: OpStats{}, Query: []string{"from, to, member, subsystem, service: as /api/v1/hub/opmon"}},
		func(w http.ResponseWriter, r *http.Request) error {
			q, err := opQuery(r)
			if err != nil {
				return err
			}
			st, err := s.Stats(r, q)
			if err != nil {
				return err
			}
			httpx.JSON(w, http.StatusOK, st)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/hub/kpi", Tag: tag, Summary: "The hub's KPI computed from the registry and the traffic: the share of a unit's information systems connected through the hub, and the number of connections",
		Response: KPI{}, Query: []string{"unit: an org unit id (default: the whole hub)", "from, to: dates (default: this year)"}},
		func(w http.ResponseWriter, r *http.Request) error {
			k, err := s.kpiOf(r)
			if err != nil {
				return err
			}
			httpx.JSON(w, http.StatusOK, k)
			return nil
		})
}

// OpRecords is an answer of /api/v1/hub/opmon, shaped as X-Road's
// getSecurityServerOperationalData (recordsCount, records,
// nextRecordsFrom).
type OpRecords struct {
	RecordsCount    int        `json:"recordsCount"`
	Records         []OpRecord `json:"records"`
	NextRecordsFrom int64      `json:"nextRecordsFrom,omitempty" doc:"requestInTs to ask from for the rest"`
}
