package plan

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

var (
	meetingsPage   = newPlanPage("meetings.html")
	meetingPage    = web.NewPage(pageTemplates, "templates/meeting.html", "templates/parts.html", "templates/document.html")
	meetingNewPage = web.NewPage(pageTemplates, "templates/meeting_new.html", "templates/parts.html", "templates/document.html")
)

// directiveRows is how many directive rows the conclusion form offers (a
// failed form shows as many as were sent).
const directiveRows = 5

func (s *Store) meetingPages(site *web.Site) {
	site.AddMenu("/meetings", "nav.meetings", string(ViewReview))
	site.Page("GET /meetings", s.meetingsShow)
	site.Page("GET /meetings/new", s.meetingNewShow)
	site.Page("POST /meetings", s.meetingSubmit)
	site.Page("GET /meetings/{id}", s.meetingShow)
	site.Page("POST /meetings/{id}/conclusion", s.conclusionSubmit)
}

type meetingsData struct {
	Meetings  []Meeting
	CanManage bool
}

func (s *Store) meetingsShow(w http.ResponseWriter, r *http.Request) error {
	p := org.PrincipalFrom(r.Context())
	if err := s.org.Authorize(r.Context(), p, ViewReview, 0); err != nil {
		return err
	}
	list, err := s.Meetings(r.Context(), s.org.Scopes(p, ViewReview))
	if err != nil {
		return err
	}
	return meetingsPage.Render(w, r, meetingsData{Meetings: list, CanManage: s.can(r, ManageMeetings, 0)})
}

type meetingNewData struct {
	Units   []option // the committees the caller records meetings of
	HeldOn  string
	Default string
}

func (s *Store) meetingNewData(r *http.Request) (meetingNewData, error) {
	p := org.PrincipalFrom(r.Context())
	if err := s.org.Authorize(r.Context(), p, ManageMeetings, 0); err != nil {
		return meetingNewData{}, err
	}
	d := meetingNewData{HeldOn: org.Today()}
	for _, id := range s.org.Scopes(p, ManageMeetings) {
		if u, err := s.org.Unit(r.Context(), id, ""); err == nil {
			d.Units = append(d.Units, option{Value: strconv.FormatInt(id, 10), Label: s.org.LabelOf(r.Context(), u) + " (" + u.Code + ")"})
		}
	}
	return d, nil
}

func (s *Store) meetingNewShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.meetingNewData(r)
	if err != nil {
		return err
	}
	return meetingNewPage.Render(w, r, d)
}

func (s *Store) meetingSubmit(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	f := r.PostForm
	in := MeetingInput{HeldOn: f.Get("heldOn"), Chair: f.Get("chair"), Title: f.Get("title"), Body: f.Get("body"),
		ReviewMonth: f.Get("reviewMonth"), Note: f.Get("note"), Attendees: []string{f.Get("attendees")}}
	var err error
	if u := f.Get("unitId"); u != "" {
		if in.UnitID, err = strconv.ParseInt(u, 10, 64); err != nil {
			err = errs.Invalid(errs.Field{Name: "unitId", Code: "invalid"})
		}
	}
	var id int64
	if err == nil {
		id, err = s.RecordMeeting(r.Context(), org.PrincipalFrom(r.Context()), in)
	}
	if err != nil {
		d, derr := s.meetingNewData(r)
		if derr != nil {
			return derr
		}
		return meetingNewPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, fmt.Sprintf("/meetings/%d?ok=meeting_saved#conclusion", id))
	return nil
}

// directiveRow is one row of the conclusion form.
type directiveRow struct {
	N                          int
	Content, Lead, Due, Pillar string
	Coord                      map[string]bool
}

type meetingData struct {
	Meeting
	CanManage   bool
	Overdue     []UnitTasks // the snapshot's units with overdue tasks, most first
	Units       []option    // lead and coordinating unit choices
	Pillars     []option
	PillarNames map[string]string
	Rows        []directiveRow
}

func (s *Store) meetingData(r *http.Request, id int64) (meetingData, error) {
	m, err := s.meetingFor(r, id)
	if err != nil {
		return meetingData{}, err
	}
	d := meetingData{Meeting: m, CanManage: s.can(r, ManageMeetings, m.Unit.ID)}
	if m.Snapshot != nil {
		d.Overdue = m.Snapshot.Overdue
		if len(d.Overdue) > 15 {
			d.Overdue = d.Overdue[:15]
		}
	}
	if d.PillarNames, d.Pillars, err = s.pillarNames(r); err != nil {
		return d, err
	}
	if d.CanManage && m.Conclusion == nil {
		if d.Units, err = s.committeeUnits(r.Context(), m.Unit.ID); err != nil {
			return d, err
		}
		n := directiveRows
		if r.PostForm != nil {
			for k := range r.PostForm {
				if m := rowField.FindStringSubmatch(k); m != nil {
					i, _ := strconv.Atoi(m[1])
					n = max(n, i)
				}
			}
		}
		for i := 1; i <= n; i++ {
			row := directiveRow{N: i, Coord: map[string]bool{}}
			if r.PostForm != nil {
				p := fmt.Sprintf("d%d.", i)
				row.Content, row.Lead, row.Due, row.Pillar = r.PostForm.Get(p+"content"), r.PostForm.Get(p+"lead"), r.PostForm.Get(p+"due"), r.PostForm.Get(p+"pillar")
				for _, c := range r.PostForm[p+"coord"] {
					row.Coord[c] = true
				}
			}
			d.Rows = append(d.Rows, row)
		}
	}
	return d, nil
}

var rowField = regexp.MustCompile(`^d(\d{1,2})\.`)

// committeeUnits lists the units a committee may give directives to:
// today's units under it, in tree order.
func (s *Store) committeeUnits(ctx context.Context, committee int64) ([]option, error) {
	units, err := s.org.Units(ctx, org.UnitFilter{})
	if err != nil {
		return nil, err
	}
	if units, err = s.org.WithLabels(ctx, units); err != nil {
		return nil, err
	}
	depth := map[int64]int{}
	var out []option
	for _, u := range units {
		if u.ID == committee {
			depth[u.ID] = 0
		} else if u.ParentID != nil {
			if pd, ok := depth[*u.ParentID]; ok {
				depth[u.ID] = pd + 1
			}
		}
		if dep, ok := depth[u.ID]; ok {
			out = append(out, option{Value: strconv.FormatInt(u.ID, 10), Label: strings.Repeat("\u00a0\u00a0", dep) + u.Name + " (" + u.Code + ")"})
		}
	}
	return out, nil
}

func (s *Store) meetingShow(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.meetingData(r, id)
	if err != nil {
		return err
	}
	return meetingPage.Render(w, r, d)
}

func (s *Store) conclusionSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	f := r.PostForm
	in := ConclusionInput{Number: f.Get("number"), IssuedOn: f.Get("issuedOn"), Title: f.Get("title"), Signer: f.Get("signer"),
		SignerAuthority: f.Get("signerAuthority"), SignerTitle: f.Get("signerTitle"), Preamble: f.Get("preamble"), Recipients: []string{f.Get("recipients")}}
	var v errs.Validator
	var rows []int // the form row of each directive sent
	for i := 1; i <= 99; i++ {
		p := fmt.Sprintf("d%d.", i)
		if !f.Has(p + "content") {
			if i > directiveRows {
				break
			}
			continue
		}
		x := DirectiveInput{Content: f.Get(p + "content"), DueOn: f.Get(p + "due"), Pillar: f.Get(p + "pillar")}
		lead := f.Get(p + "lead")
		if strings.TrimSpace(x.Content) == "" && lead == "" && strings.TrimSpace(x.DueOn) == "" {
			continue // an empty row
		}
		if lead != "" {
			n, err := strconv.ParseInt(lead, 10, 64)
			v.Check(err == nil, p+"lead", "invalid")
			x.LeadUnit = n
		}
		for _, c := range f[p+"coord"] {
			if n, err := strconv.ParseInt(c, 10, 64); err == nil {
				x.CoordinatingUnits = append(x.CoordinatingUnits, n)
			}
		}
		in.Directives = append(in.Directives, x)
		rows = append(rows, i)
	}
	err = v.Err()
	if err == nil {
		err = s.RecordConclusion(r.Context(), org.PrincipalFrom(r.Context()), id, in)
	}
	if err != nil {
		d, derr := s.meetingData(r, id)
		if derr != nil {
			return derr
		}
		return meetingPage.FormError(w, r, directiveFormFields(err, rows), d)
	}
	web.Redirect(w, r, fmt.Sprintf("/meetings/%d?ok=conclusion_saved#conclusion", id))
	return nil
}

var directiveField = regexp.MustCompile(`^directives\[(\d+)\]\.(\w+)`)

// directiveFormFields renames a conclusion's errors to the form's rows
// (directives[1].leadUnit is d3.lead when the second directive sent was
// the third row).
func directiveFormFields(err error, rows []int) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = nil
	names := map[string]string{"content": "content", "leadUnit": "lead", "coordinatingUnits": "coord", "dueOn": "due", "pillar": "pillar", "output": "content"}
	for _, f := range e.Fields {
		if m := directiveField.FindStringSubmatch(f.Name); m != nil {
			i, _ := strconv.Atoi(m[1])
			if i < len(rows) {
				f.Name = fmt.Sprintf("d%d.%s", rows[i], names[m[2]])
			}
		}
		if strings.HasPrefix(f.Name, "recipients[") {
			f.Name = "recipients"
		}
		c.Fields = append(c.Fields, f)
	}
	return &c
}
