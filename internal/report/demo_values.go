package report

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/store"
)

// DemoNote marks the demo's figures wherever a reason is recorded: they
// are invented, as the programme demo's progress trail is.
const DemoNote = "Số liệu minh họa của bản demo"

// demoPeriods are the periods the demo fills for a form: two years of
// quarters up to the last one closed before today (both sides of 1 July
// 2025), or the years before today's.
func demoPeriods(pt PeriodType, today time.Time) []Period {
	var out []Period
	switch pt {
	case Quarterly:
		p := PeriodOf(Quarterly, today).Prev()
		for range 8 {
			out = append([]Period{p}, out...)
			p = p.Prev()
		}
	case Yearly:
		p := PeriodOf(Yearly, today).Prev()
		out = []Period{p.Prev(), p}
	}
	return out
}

// demoFrac is a stable pseudo-random number in [0,1) for its parts.
func demoFrac(parts ...any) float64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return float64(h.Sum64()%100000) / 100000
}

// demoUnit is what the figures of a unit scale with.
type demoUnit struct {
	code  string
	local bool // a district, commune or ward rather than a department
	small bool // a commune or ward
}

// demoFigures invents a report's values: plausible magnitudes for the
// kind of unit, shares rising over the quarters (step counts quarters since
// the first period), and the relations the forms' rules check (dossiers
// online ≤ received, on time ≤ processed ≤ received, signed ≤ sent, trained
// ≤ staff, fibre ≤ households, security spending ≤ digital spending). The
// key is the indicator code and, for a category option, code/option.
func demoFigures(u demoUnit, p Period, step int) map[string]string {
	r := func(what string) float64 { return demoFrac(u.code, p.String(), what) }
	t := float64(step)
	size := 1.0
	switch {
	case u.small:
		size = 0.25
	case u.local:
		size = 2.5
	}
	share := func(what string, base, perStep, spread, top float64) float64 {
		return math.Min(top, base+perStep*t+spread*r(what))
	}
	count := func(what string, lo, hi float64) float64 { return math.Round(size * (lo + (hi-lo)*r(what))) }
	v := map[string]string{}
	set := func(code string, f float64) { v[code] = strconv.FormatFloat(f, 'f', -1, 64) }

	received := count("received", 300, 1500)
	set("CDS.HS.TIEPNHAN", received)
	set("CDS.HS.TRUCTUYEN", math.Round(received*share("online", 0.35, 0.04, 0.15, 0.97)))
	processed := math.Round(received * share("processed", 0.86, 0.005, 0.1, 0.99))
	set("CDS.HS.GIAIQUYET", processed)
	set("CDS.HS.DUNGHAN", math.Round(processed*share("ontime", 0.9, 0.004, 0.08, 1)))
	set("CDS.DVC.TOANTRINH", math.Round(10*share("full", 28, 4, 15, 96))/10)
	services := count("services", 30, 120)
	full := math.Round(services * share("fullshare", 0.3, 0.05, 0.1, 0.9))
	v["CDS.DVC.SO/TOANTRINH"] = strconv.FormatFloat(full, 'f', -1, 64)
	v["CDS.DVC.SO/MOTPHAN"] = strconv.FormatFloat(services-full, 'f', -1, 64)
	sent := count("sent", 250, 1200)
	set("CDS.VB.DI", sent)
	set("CDS.VB.KYSO", math.Round(sent*share("signed", 0.72, 0.03, 0.12, 1)))
	staff := math.Round(map[bool]float64{true: 22, false: 45}[u.small] + 90*r("staff")*map[bool]float64{true: 0.2, false: 1}[u.small])
	set("CDS.CBCC.TONG", staff)
	set("CDS.CBCC.TAPHUAN", math.Round(staff*share("trained", 0.25, 0.07, 0.15, 1)))
	if !u.local {
		set("CDS.LGSP.KETNOI", math.Floor(4*r("lgsp")))
	} else {
		set("CDS.KNS.LUOT", count("skills", 800, 4000))
		set("CDS.DTTM.TYLE", math.Round(10*share("phone", 58, 2.5, 12, 97))/10)
		households := count("households", 2500, 9000)
		set("CDS.HGD.TONG", households)
		set("CDS.HGD.CAPQUANG", math.Round(households*share("fibre", 0.55, 0.035, 0.15, 1)))
	}
	// The yearly DTI inputs.
	set("CDS.DTI.CHUYENTRACH", math.Floor(1+4*r("it-staff")))
	spend := math.Round(size * (400 + 3600*r("spend"))) // triệu đồng
	set("CDS.DTI.CHI.CDS", spend*1e6)
	set("CDS.DTI.CHI.ATTT", math.Round(spend*share("security", 0.05, 0.01, 0.08, 0.2))*1e6)
	set("CDS.DTI.CAPDO", math.Floor(6*r("levels")))
	v["CDS.DTI.SOC"] = strconv.FormatBool(r("soc") < 0.8)
	return v
}

// demoValues writes the invented values of one report through the same
// writer as every other path, as checked by c (forced past the locks of
// closed periods, as a coordinator's back-filling of history would be).
// options maps indicator id → option code → option id (optionIDs).
func (s *Store) demoValues(ctx context.Context, tx *sql.Tx, c *Checker, options map[int64]map[string]int64, form Form, unit demoUnit, unitID int64, p Period, step int, user int64, at time.Time) (int, error) {
	figures := demoFigures(unit, p, step)
	var vs []ValueInput
	for _, sec := range form.Sections {
		for _, ind := range sec.Indicators {
			for key, value := range figures {
				code, opt := key, ""
				code, opt, _ = strings.Cut(key, "/")
				if code != ind.Code {
					continue
				}
				v := ValueInput{Key: Key{Indicator: ind.ID, Option: options[ind.ID][opt], Unit: unitID, Period: p.String()}, PeriodOf: p, Value: value}
				_, cf, err := c.Check(ctx, &v, form.ID)
				if err != nil {
					return 0, err
				}
				if cf != nil {
					continue // derived indicators and the like are computed, not entered
				}
				vs = append(vs, v)
			}
		}
	}
	_, err := s.WriteValues(ctx, tx, vs, WriteOptions{User: user, Source: "demo", Reason: DemoNote, Now: at})
	return len(vs), err
}

// optionIDs maps indicator id → option code → option id ("" → 0).
func (s *Store) optionIDs(ctx context.Context, q store.Querier) (map[int64]map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT indicator_id, code, id FROM report_category_options`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]map[string]int64{}
	for rows.Next() {
		var ind, id int64
		var code string
		if err := rows.Scan(&ind, &code, &id); err != nil {
			return nil, err
		}
		if out[ind] == nil {
			out[ind] = map[string]int64{}
		}
		out[ind][code] = id
	}
	return out, rows.Err()
}
