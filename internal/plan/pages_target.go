package plan

import (
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// ---- /targets/{id} ----

// levelStatus is the status of a target for one level ("" for the whole),
// with what the page needs to explain it in plain words.
type levelStatus struct {
	Level    string
	Status   string
	Latest   *Actual
	Expected *float64
	Next     *Value // the milestone the straight line runs to
	Missed   *Value // a milestone whose year is over and was not met
	Text     string
}

// milestoneRow is one year of milestones: the whole and each level.
type milestoneRow struct {
	Year   int
	Whole  *float64
	Levels map[string]*float64
}

type targetData struct {
	Target     Target
	Plan       Plan
	PillarName string
	Levels     []string // the levels the target is split by
	HasWhole   bool     // milestones or actuals for the target as a whole
	Milestones []milestoneRow
	Statuses   []levelStatus
	Chart      *Chart // for screens and paper
	Narrow     *Chart // the same for a phone
	CanReport  bool
	Today      string
	PivotHref  string // the pivot table of the latest actual read from an indicator
}

// explainLevels computes each level's status as computeTarget does, and
// writes why in the request's language.
func explainLevels(t Target, asOf string, lang locale.Lang) []levelStatus {
	var out []levelStatus
	num := func(v float64) string {
		s := locale.Number(lang, v, 2)
		if t.Unit != "" {
			s += " " + t.Unit
		}
		return s
	}
	for _, level := range chartLevels(t) {
		var ms []Value
		for _, m := range t.Milestones {
			if m.Level == level {
				ms = append(ms, m)
			}
		}
		var base *Value
		if b := t.Baseline; b != nil {
			if level == "" && b.Value != nil {
				base = &Value{Year: b.Year, Value: *b.Value}
			}
			for _, l := range b.Levels {
				if level != "" && l.Level == level {
					v := l
					v.Year = b.Year
					base = &v
				}
			}
		}
		var acts []Actual
		for _, a := range t.Actuals {
			if a.Level == level && a.MeasuredOn <= asOf {
				acts = append(acts, a)
			}
		}
		if len(ms) == 0 && len(acts) == 0 {
			continue
		}
		ls := levelStatus{Level: level}
		ls.Status, ls.Expected = TargetStatus(t.Direction, base, ms, acts, asOf)
		sort.Slice(ms, func(i, j int) bool { return ms[i].Year < ms[j].Year })
		if len(acts) > 0 {
			a := acts[len(acts)-1]
			ls.Latest = &a
		}
		if len(ms) > 0 && ls.Latest != nil {
			at := yearPoint(ls.Latest.MeasuredOn)
			next := ms[len(ms)-1]
			for _, m := range ms {
				if endOfYear(m.Year) >= at {
					next = m
					break
				}
			}
			ls.Next = &next
			now := yearPoint(asOf)
			for _, m := range ms {
				if endOfYear(m.Year) > now {
					break
				}
				var last *Actual
				for i := range acts {
					if yearPoint(acts[i].MeasuredOn) < endOfYear(m.Year) {
						last = &acts[i]
					}
				}
				if last == nil || !meets(t.Direction, last.Value, m.Value) {
					mm := m
					ls.Missed = &mm
					break
				}
			}
		}
		switch {
		case ls.Latest == nil:
			ls.Text = locale.T(lang, "target.explain.no_data")
		case len(ms) == 0:
			ls.Text = locale.T(lang, "target.explain.no_milestone")
		default:
			latest := []any{num(ls.Latest.Value), locale.ISODate(lang, ls.Latest.MeasuredOn)}
			last := ms[len(ms)-1]
			switch ls.Status {
			case "achieved":
				ls.Text = locale.T(lang, "target.explain.achieved", append(latest, num(last.Value), last.Year)...)
			case "not_achieved":
				ls.Text = locale.T(lang, "target.explain.not_achieved", append(latest, num(last.Value), last.Year)...)
			case "off_track":
				if ls.Missed != nil {
					ls.Text = locale.T(lang, "target.explain.missed", append(latest, num(ls.Missed.Value), ls.Missed.Year)...)
				} else if ls.Expected != nil {
					ls.Text = locale.T(lang, "target.explain.off_track", append(latest, num(*ls.Expected), num(ls.Next.Value), ls.Next.Year)...)
				} else {
					ls.Text = locale.T(lang, "target.explain.no_line", append(latest, num(ls.Next.Value), ls.Next.Year)...)
				}
			case "on_track":
				if ls.Expected != nil {
					ls.Text = locale.T(lang, "target.explain.on_track", append(latest, num(*ls.Expected), num(ls.Next.Value), ls.Next.Year)...)
				} else {
					ls.Text = locale.T(lang, "target.explain.on_track_single", append(latest, num(ls.Next.Value), ls.Next.Year)...)
				}
			case "at_risk":
				if ls.Expected != nil {
					ls.Text = locale.T(lang, "target.explain.at_risk", append(latest, num(*ls.Expected), num(ls.Next.Value), ls.Next.Year)...)
				} else {
					ls.Text = locale.T(lang, "target.explain.no_line", append(latest, num(ls.Next.Value), ls.Next.Year)...)
				}
			}
		}
		out = append(out, ls)
	}
	return out
}

func milestoneRows(t Target) []milestoneRow {
	var out []milestoneRow
	index := map[int]int{}
	for _, m := range t.Milestones {
		i, ok := index[m.Year]
		if !ok {
			i = len(out)
			index[m.Year] = i
			out = append(out, milestoneRow{Year: m.Year, Levels: map[string]*float64{}})
		}
		if m.Level == "" {
			v := m.Value
			out[i].Whole = &v
		} else {
			v := m.Value
			out[i].Levels[m.Level] = &v
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}

// targetUnit is the unit that answers for a target: its responsible unit,
// else the plan's issuer (the unit addActual authorises against).
func targetUnit(t Target, p Plan) int64 {
	if t.ResponsibleUnit != nil {
		return t.ResponsibleUnit.ID
	}
	return p.IssuerUnit.ID
}

func (s *Store) targetData(r *http.Request, id int64) (targetData, error) {
	ctx := r.Context()
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return targetData{}, err
	}
	t, err := s.Target(ctx, id)
	if err != nil {
		return targetData{}, err
	}
	p, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return targetData{}, err
	}
	names, _, err := s.pillarNames(r)
	if err != nil {
		return targetData{}, err
	}
	lang := locale.FromRequest(r)
	today := org.Today()
	d := targetData{Target: t, Plan: p, PillarName: names[t.Pillar], Milestones: milestoneRows(t), Today: today,
		Statuses: explainLevels(t, today, lang), Chart: newChart(t, lang, 640, 300, false, today), Narrow: newChart(t, lang, 360, 260, false, today)}
	if d.Narrow != nil {
		d.Narrow.ID += "-n"
	}
	for _, l := range chartLevels(t) {
		if l != "" {
			d.Levels = append(d.Levels, l)
		} else {
			d.HasWhole = true
		}
	}
	d.CanReport = s.can(r, ReportTarget, targetUnit(t, p))
	for _, a := range t.Actuals {
		if a.Source != nil {
			d.PivotHref = a.Source.Href
		}
	}
	return d, nil
}

func (s *Store) targetShow(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.targetData(r, id)
	if err != nil {
		return err
	}
	return targetPage.Render(w, r, d)
}

var thousands = map[locale.Lang]*regexp.Regexp{
	locale.VI: regexp.MustCompile(`^-?\d{1,3}(\.\d{3})+(,\d+)?$`),
	locale.EN: regexp.MustCompile(`^-?\d{1,3}(,\d{3})+(\.\d+)?$`),
}

// parseNumber reads a number as people type it: 58,4 or 1.500 in
// Vietnamese, 58.4 or 1,500 in English; a lone comma or point is the
// decimal separator either way.
func parseNumber(lang locale.Lang, s string) (float64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	s = strings.ReplaceAll(s, "\u00a0", "")
	if s == "" {
		return 0, false
	}
	group, dec := ".", ","
	if lang == locale.EN {
		group, dec = ",", "."
	}
	if re := thousands[lang]; re != nil && re.MatchString(s) {
		s = strings.ReplaceAll(s, group, "")
		s = strings.Replace(s, dec, ".", 1)
	} else {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func (s *Store) actualSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	in := ActualInput{MeasuredOn: locale.FormDate(r.PostFormValue("measuredOn")), Level: r.PostFormValue("level"), Evidence: r.PostFormValue("evidence")}
	v, ok := parseNumber(locale.FromRequest(r), r.PostFormValue("value"))
	if !ok {
		v = math.NaN() // reported as "must be a number"
	}
	in.Value = v
	if _, err := s.addActual(r, id, in); err != nil {
		d, derr := s.targetData(r, id)
		if derr != nil {
			return derr
		}
		return targetPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/targets/"+strconv.FormatInt(id, 10)+"?ok=actual_saved#actuals")
	return nil
}
