package plan

import (
	"net/http"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// meetingRoutes attaches the Steering Committee's meetings: the policy,
// the API, the pages and the printed documents (review and conclusion).
func (s *Store) meetingRoutes(site *web.Site) {
	s.org.Allow(ManageMeetings, org.RoleCoordinator)
	s.meetingAPI(site.API)
	s.meetingPages(site)
	s.documentRoutes(site)
}

// meetingFor returns a meeting the caller may see (the review's roles,
// within the meeting's unit).
func (s *Store) meetingFor(r *http.Request, id int64) (Meeting, error) {
	m, err := s.Meeting(r.Context(), id)
	if err != nil {
		return m, err
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewReview, m.Unit.ID); err != nil {
		return Meeting{}, err
	}
	return m, nil
}

func (s *Store) meetingAPI(api *httpx.API) {
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/meetings", Tag: "meetings", Summary: "The Steering Committee's meetings within the caller's review scopes, newest first, with their conclusions (directives not expanded)", Response: Meeting{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			p := org.PrincipalFrom(r.Context())
			if err := s.org.Authorize(r.Context(), p, ViewReview, 0); err != nil {
				return err
			}
			pg, err := httpx.PageOf(r, 100, 1000)
			if err != nil {
				return err
			}
			list, err := s.Meetings(r.Context(), s.org.Scopes(p, ViewReview))
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(list, pg), len(list), pg)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/meetings", Tag: "meetings", Summary: "Record a meeting (coordinator): the review it discussed is frozen as a snapshot; with a conclusion, its directives become tasks (all or nothing; a directive without a lead unit is refused)", Request: MeetingInput{}, Response: Meeting{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in MeetingInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			id, err := s.RecordMeeting(r.Context(), org.PrincipalFrom(r.Context()), in)
			if err != nil {
				return err
			}
			m, err := s.Meeting(r.Context(), id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 201, m)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/meetings/{id}", Tag: "meetings", Summary: "One meeting with its review snapshot and its conclusion's directives (as tasks: status, progress, overdue)", Response: Meeting{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			m, err := s.meetingFor(r, id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, m)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/meetings/{id}/conclusion", Tag: "meetings", Summary: "Record a meeting's conclusion (coordinator), once: its numbered directives become tasks with a lead unit, coordinating units and a deadline; all or nothing", Request: ConclusionInput{}, Response: Meeting{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ConclusionInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			if err := s.RecordConclusion(r.Context(), org.PrincipalFrom(r.Context()), id, in); err != nil {
				return err
			}
			m, err := s.Meeting(r.Context(), id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 201, m)
			return nil
		})
}
