package hub

import (
	"net/http"
	"time"
)

var monitoringPage = newHubPage("monitoring.html")

// dayBar is a day of the monitoring page's chart.
type dayBar struct {
	OpStat
	Width, FailedX, FailedWidth int
}

type monitoringData struct {
	From, To string
	KPI      KPI
	Stats    OpStats
	Days     []dayBar
	Recent   []OpRecord
}

// monitoringShow is /hub/monitoring: the KPI, totals per day, service and
// client with error rates and latency percentiles, and the latest
// exchanges, of the members the official manages (all for the hub's
// managers); the same figures as /api/v1/hub/opmon and /kpi.
func (s *Store) monitoringShow(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	now := time.Now().In(vnZone)
	if q.Get("from") == "" {
		q.Set("from", now.AddDate(0, 0, -29).Format(time.DateOnly))
	}
	if q.Get("to") == "" {
		q.Set("to", now.Format(time.DateOnly))
	}
	r.URL.RawQuery = q.Encode()
	oq, err := opQuery(r)
	if err != nil {
		return err
	}
	d := monitoringData{From: q.Get("from"), To: q.Get("to")}
	if d.Stats, err = s.Stats(r, oq); err != nil {
		return err
	}
	if d.KPI, err = s.kpiOf(r); err != nil {
		return err
	}
	most := int64(1)
	for _, x := range d.Stats.Days {
		most = max(most, x.Requests)
	}
	for _, x := range d.Stats.Days {
		wd := int(x.Requests * 200 / most)
		fw := int(x.Failed * 200 / most)
		d.Days = append(d.Days, dayBar{OpStat: x, Width: wd, FailedX: wd - fw, FailedWidth: fw})
	}
	oq.Limit, oq.Newest = 50, true
	if d.Recent, _, err = s.OpRecords(r, oq); err != nil {
		return err
	}
	return monitoringPage.Render(w, r, d)
}
