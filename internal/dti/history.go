package dti

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"

	"github.com/tinhso/tinhso/internal/org"
)

// Across years and reorganisations (issue 8 parts 4 and 5). Scores stay
// under the units that were assessed. A unit's previous year is its own
// published score of that year by the same framework or, when it did not
// exist or was not assessed then, the plain average of its predecessors'
// main indices and indices (the rule the 2024 ranking of the 34 merged
// provinces used), labelled as such.

// Previous is a unit's result of the year before, as the change from last
// year reads it.
type Previous struct {
	Year        int         `json:"year"`
	Index       float64     `json:"index"`
	Total       float64     `json:"total" doc:"points (the average of the predecessors' points when averaged)"`
	Rank        int         `json:"rank" doc:"among this year's peers, each taking its own score of that year or its predecessors' average"`
	Averaged    bool        `json:"averaged,omitempty" doc:"the plain average of the predecessors' main indices and indices (the unit did not exist or was not assessed that year)"`
	Of          []UnitRef   `json:"of,omitempty" doc:"the predecessors averaged"`
	MainIndices []MainScore `json:"mainIndices"`
}

// previousOf finds each unit's previous year among last year's results:
// its own row, else the average of its predecessors' rows; and ranks them
// among this year's units. A predecessor is looked up only when last year
// has results at all.
func (s *Store) previousOf(ctx context.Context, units []UnitScore, last Results) (map[int64]*Previous, error) {
	out := map[int64]*Previous{}
	if len(last.Units) == 0 {
		return out, nil
	}
	byUnit := make(map[int64]UnitScore, len(last.Units))
	for _, u := range last.Units {
		byUnit[u.Unit.ID] = u
	}
	for _, u := range units {
		if own, ok := byUnit[u.Unit.ID]; ok {
			out[u.Unit.ID] = &Previous{Year: last.Year, Index: own.Index, Total: own.Total, MainIndices: own.MainIndices}
			continue
		}
		preds, err := s.org.Predecessors(ctx, u.Unit.ID)
		if err != nil {
			return nil, err
		}
		var of []UnitScore
		for _, p := range preds[1:] {
			if x, ok := byUnit[p]; ok {
				of = append(of, x)
			}
		}
		if len(of) > 0 {
			out[u.Unit.ID] = averageOf(last.Year, of)
		}
	}
	// Rank the previous results among this year's units.
	list := make([]*Previous, 0, len(out))
	for _, p := range out {
		list = append(list, p)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Index > list[j].Index })
	for i, p := range list {
		if i > 0 && math.Abs(p.Index-list[i-1].Index) <= tolerance {
			p.Rank = list[i-1].Rank
		} else {
			p.Rank = i + 1
		}
	}
	return out, nil
}

// averageOf is the plain average of several units' results: each main
// index's points and value, the total and the index.
func averageOf(year int, of []UnitScore) *Previous {
	p := &Previous{Year: year, Averaged: true}
	n := float64(len(of))
	for _, x := range of {
		p.Of = append(p.Of, x.Unit)
		p.Index += x.Index / n
		p.Total += x.Total / n
	}
	p.Total = round(p.Total)
	for i, m := range of[0].MainIndices {
		ms := MainScore{Code: m.Code, Pillar: m.Pillar, Name: m.Name, MaxPoints: m.MaxPoints}
		var ix float64
		scored := m.Index != nil
		for _, x := range of {
			ms.Points += x.MainIndices[i].Points / n
			if x.MainIndices[i].Index != nil {
				ix += *x.MainIndices[i].Index / n
			}
		}
		ms.Points = round(ms.Points)
		if scored {
			ms.Index = &ix
		}
		p.MainIndices = append(p.MainIndices, ms)
	}
	slices.SortFunc(p.Of, func(a, b UnitRef) int { return cmp.Compare(a.Code, b.Code) })
	return p
}

// withPrevious fills the change from last year of a framework's results.
func (s *Store) withPrevious(ctx context.Context, f Framework, res *Results) error {
	if res.Year-1 < f.YearFrom || len(res.Units) == 0 {
		return nil
	}
	last, _, err := s.results(ctx, f, res.Year-1, StageFinal)
	if err != nil {
		return err
	}
	prev, err := s.previousOf(ctx, res.Units, last)
	if err != nil {
		return err
	}
	for i := range res.Units {
		u := &res.Units[i]
		if p := prev[u.Unit.ID]; p != nil {
			u.Previous = p
			ch := round4(u.Index - p.Index)
			u.Change = &ch
			rc := p.Rank - u.Rank
			u.RankChange = &rc
		}
	}
	return nil
}

// averagedRank ranks a unit's averaged year (last: the published results
// of that year, before the unit existed) as the 2024 ranking of the 34
// merged provinces did: among the units of the framework's next year,
// each taking its own score of that year or its predecessors' average.
// The next year's units are those assessed, at whatever stage; 0, 0 when
// the unit is not among them.
func (s *Store) averagedRank(ctx context.Context, f Framework, unit int64, last Results) (rank, peers int, err error) {
	if last.Year+1 > f.YearTo {
		return 0, 0, nil
	}
	next, _, err := s.results(ctx, f, last.Year+1, StageCurrent)
	if err != nil {
		return 0, 0, err
	}
	prev, err := s.previousOf(ctx, next.Units, last)
	if err != nil {
		return 0, 0, err
	}
	if p := prev[unit]; p != nil {
		return p.Rank, len(prev), nil
	}
	return 0, 0, nil
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// History is a unit's results over the years, its predecessors' among
// them, and for a year before a reorganisation the plain average of its
// predecessors'.
type History struct {
	Unit         UnitRef      `json:"unit"`
	Predecessors []UnitRef    `json:"predecessors" doc:"the units it succeeded or inherited the duties of, transitively"`
	Rows         []HistoryRow `json:"rows" doc:"newest year first"`
	Published    []Published  `json:"published" doc:"national results of the unit and its predecessors, as public sources state them"`
}

// HistoryRow is one framework and year of a unit's history.
type HistoryRow struct {
	Framework   FrameworkRef `json:"framework"`
	Year        int          `json:"year"`
	Unit        UnitRef      `json:"unit" doc:"whose score: the unit, or one of its predecessors"`
	Own         bool         `json:"own" doc:"the unit's own score"`
	Averaged    bool         `json:"averaged,omitempty" doc:"the plain average of the predecessors' main indices (a year before the unit existed), ranked among the next year's units each taking its own score or its predecessors' average"`
	Of          []UnitRef    `json:"of,omitempty"`
	Assessment  int64        `json:"assessment,omitempty"`
	Rank        int          `json:"rank"`
	Peers       int          `json:"peers"`
	Total       float64      `json:"total"`
	Index       float64      `json:"index"`
	MainIndices []MainScore  `json:"mainIndices"`
}

// History is the unit's history, for p: dti.view on the unit.
func (s *Store) History(ctx context.Context, p *org.Principal, unit int64) (History, error) {
	if err := s.org.Authorize(ctx, p, ViewDTI, unit); err != nil {
		return History{}, err
	}
	preds, err := s.org.Predecessors(ctx, unit)
	if err != nil {
		return History{}, err
	}
	refs, err := s.unitRefs(ctx, preds)
	if err != nil {
		return History{}, err
	}
	h := History{Unit: refs[unit], Predecessors: []UnitRef{}, Rows: []HistoryRow{}}
	mine := map[int64]bool{}
	for _, id := range preds {
		mine[id] = true
		if id != unit {
			h.Predecessors = append(h.Predecessors, refs[id])
		}
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT DISTINCT a.framework_id, a.year, au.unit_id FROM dti_assessment_units au JOIN dti_assessments a ON a.id = au.assessment_id
		WHERE au.state = 'published'`)
	if err != nil {
		return h, err
	}
	type key struct {
		f    int64
		year int
	}
	var keys []key
	seen := map[key]bool{}
	for rows.Next() {
		var k key
		var u int64
		if err := rows.Scan(&k.f, &k.year, &u); err != nil {
			rows.Close()
			return h, err
		}
		if mine[u] && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, err
	}
	for _, k := range keys {
		f, err := s.Framework(ctx, k.f)
		if err != nil {
			return h, err
		}
		res, _, err := s.results(ctx, f, k.year, StageFinal)
		if err != nil {
			return h, err
		}
		var of []UnitScore
		own := false
		for _, u := range res.Units {
			if !mine[u.Unit.ID] {
				continue
			}
			row := HistoryRow{Framework: res.Framework, Year: k.year, Unit: u.Unit, Own: u.Unit.ID == unit, Assessment: u.Assessment, Rank: u.Rank, Peers: res.Peers,
				Total: u.Total, Index: u.Index, MainIndices: u.MainIndices}
			h.Rows = append(h.Rows, row)
			if row.Own {
				own = true
			} else {
				of = append(of, u)
			}
		}
		if !own && len(of) > 0 {
			a := averageOf(k.year, of)
			row := HistoryRow{Framework: res.Framework, Year: k.year, Unit: h.Unit, Averaged: true, Of: a.Of, Total: a.Total, Index: a.Index, MainIndices: a.MainIndices}
			if row.Rank, row.Peers, err = s.averagedRank(ctx, f, unit, res); err != nil {
				return h, err
			}
			h.Rows = append(h.Rows, row)
		}
	}
	slices.SortStableFunc(h.Rows, func(a, b HistoryRow) int {
		if c := cmp.Compare(b.Year, a.Year); c != 0 {
			return c
		}
		// The unit's own or averaged row first, then its predecessors'.
		ra, rb := 1, 1
		if a.Own || a.Averaged {
			ra = 0
		}
		if b.Own || b.Averaged {
			rb = 0
		}
		if c := cmp.Compare(ra, rb); c != 0 {
			return c
		}
		return cmp.Compare(a.Unit.Code, b.Unit.Code)
	})
	pub, err := s.PublishedResults(ctx, p, PublishedFilter{Units: preds})
	if err != nil {
		return h, err
	}
	h.Published = pub
	if h.Published == nil {
		h.Published = []Published{}
	}
	return h, nil
}
