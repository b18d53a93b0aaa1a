package hub

import (
	"embed"
	"net/http"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/web"
)

// The hub's pages (Vietnamese first): the registry, a member, a subsystem
// with its credentials, a service with its endpoints, description and
// rights, and the access requests. Every form calls the same store function
// as its API twin, so a page and the API decide and audit alike.

//go:embed templates/*.html
var pageTemplates embed.FS

func newHubPage(name string) *web.Page {
	return web.NewPage(pageTemplates, "templates/"+name, "templates/parts.html")
}

var (
	hubPage       = newHubPage("hub.html")
	memberPage    = newHubPage("member.html")
	subsystemPage = newHubPage("subsystem.html")
	servicePage   = newHubPage("service.html")
	requestsPage  = newHubPage("requests.html")
)

func (s *Store) pageRoutes(site *web.Site) {
	site.AddMenu("/hub", "nav.hub", string(ViewHub))
	site.AddHome("hub", s.homeItems)
	site.Page("GET /hub", s.hubShow)
	site.Page("POST /hub/members", s.memberCreate)
	site.Page("GET /hub/members/{id}", s.memberShow)
	site.Page("POST /hub/members/{id}/subsystems", s.subsystemCreate)
	site.Page("GET /hub/subsystems/{id}", s.subsystemShow)
	site.Page("POST /hub/subsystems/{id}/services", s.serviceCreate)
	site.Page("POST /hub/subsystems/{id}/secrets", s.secretIssue)
	site.Page("POST /hub/subsystems/{id}/certificates", s.certificateIssue)
	site.Page("POST /hub/credentials/{id}/revoke", s.credentialRevoke)
	site.Page("GET /hub/services/{id}", s.serviceShow)
	site.Page("POST /hub/services/{id}/enabled", s.serviceEnable)
	site.Page("POST /hub/services/{id}/endpoints", s.endpointCreate)
	site.Page("POST /hub/services/{id}/openapi", s.openapiUpload)
	site.Page("POST /hub/services/{id}/rights", s.rightGrant)
	site.Page("POST /hub/services/{id}/access", s.accessRequest)
	site.Page("POST /hub/endpoints/{id}/enabled", s.endpointEnable)
	site.Page("POST /hub/rights/{id}/revoke", s.rightRevoke)
	site.Page("GET /hub/requests", s.requestsShow)
	site.Page("GET /hub/monitoring", s.monitoringShow)
	site.Page("GET /hub/peers", s.peersShow)
	site.Page("POST /hub/peers", s.peerCreate)
	site.Page("POST /hub/peers/{id}/enabled", s.peerEnable)
	site.Page("POST /hub/requests/{id}/{decision}", s.requestDecide)
}

// homeItems: the access requests waiting for the official's decision.
func (s *Store) homeItems(r *http.Request) []web.HomeItem {
	if !s.can(r, ManageMember, 0) {
		return nil
	}
	qs, err := s.AccessRequests(r, RequestPending)
	if err != nil {
		return nil
	}
	n := 0
	for _, q := range qs {
		if s.can(r, ManageMember, q.ProviderUnitID) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return []web.HomeItem{{Key: "home.hub_requests", Count: n, Href: "/hub/requests", Alert: true}}
}

// done answers a form post: back to the page with a flash message, or the
// page again with the fields' messages.
func done(w http.ResponseWriter, r *http.Request, err error, to, flash string, again func() error) error {
	if err == nil {
		web.Redirect(w, r, to+"?ok="+flash)
		return nil
	}
	if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
		return again()
	}
	return err
}

func formInt(r *http.Request, name string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue(name)))
	return n
}

func formID(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
	return n
}

// ---- the registry

type hubData struct {
	Instance    string
	Members     []Member
	Services    []Service
	CanRegister bool
	Classes     []string
	Pending     int
}

func (s *Store) hubData(r *http.Request) (hubData, error) {
	if err := s.canView(r); err != nil {
		return hubData{}, err
	}
	d := hubData{Instance: s.opt.Instance, CanRegister: s.can(r, ManageHub, 0), Classes: MemberClasses}
	var err error
	if d.Members, err = s.Members(r.Context()); err != nil {
		return d, err
	}
	if d.Services, err = s.Services(r.Context(), 0); err != nil {
		return d, err
	}
	return d, nil
}

func (s *Store) hubShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.hubData(r)
	if err != nil {
		return err
	}
	return hubPage.Render(w, r, d)
}

func (s *Store) memberCreate(w http.ResponseWriter, r *http.Request) error {
	in := MemberInput{Class: r.PostFormValue("memberClass"), Code: r.PostFormValue("memberCode"), Name: r.PostFormValue("name")}
	unitCode := "required"
	if code := strings.ToUpper(strings.TrimSpace(r.PostFormValue("unitCode"))); code != "" {
		unitCode = "not_found"
		if u, err := s.org.UnitByCode(r.Context(), code, ""); err == nil {
			in.UnitID = u.ID
		}
	}
	m, err := s.CreateMember(r, in)
	// The page names the unit by code: its field carries the unit's errors.
	if e, ok := errs.As(err); ok {
		for i := range e.Fields {
			if e.Fields[i].Name == "unitId" {
				e.Fields[i].Name, e.Fields[i].Code = "unitCode", unitCode
			}
		}
	}
	return done(w, r, err, "/hub/members/"+strconv.FormatInt(m.ID, 10), "hub_saved", func() error {
		d, derr := s.hubData(r)
		if derr != nil {
			return derr
		}
		return hubPage.FormError(w, r, err, d)
	})
}

// ---- a member

type memberData struct {
	Member     Member
	Subsystems []Subsystem
	CanManage  bool
	CanEdit    bool
}

func (s *Store) memberData(r *http.Request) (memberData, error) {
	if err := s.canView(r); err != nil {
		return memberData{}, err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return memberData{}, err
	}
	var d memberData
	if d.Member, err = s.Member(r.Context(), id); err != nil {
		return d, err
	}
	if d.Subsystems, err = s.Subsystems(r.Context(), id); err != nil {
		return d, err
	}
	d.CanManage = s.can(r, ManageMember, d.Member.UnitID)
	d.CanEdit = s.can(r, ManageHub, d.Member.UnitID)
	return d, nil
}

func (s *Store) memberShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.memberData(r)
	if err != nil {
		return err
	}
	return memberPage.Render(w, r, d)
}

func (s *Store) subsystemCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.CreateSubsystem(r, id, SubsystemInput{Code: r.PostFormValue("subsystemCode"), Name: r.PostFormValue("name"),
		Description: r.PostFormValue("description"), RatePerSecond: formInt(r, "ratePerSecond"), Burst: formInt(r, "burst"), KeepBodies: formInt(r, "keepBodiesDays")})
	return done(w, r, err, "/hub/members/"+strconv.FormatInt(id, 10), "hub_saved", func() error {
		d, derr := s.memberData(r)
		if derr != nil {
			return derr
		}
		return memberPage.FormError(w, r, err, d)
	})
}

// ---- a subsystem

type subsystemData struct {
	Subsystem   Subsystem
	Services    []Service
	Rights      []Right
	Credentials []Credential
	CanManage   bool
	Issued      *IssuedCredential
}

func (s *Store) subsystemData(r *http.Request) (subsystemData, error) {
	if err := s.canView(r); err != nil {
		return subsystemData{}, err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return subsystemData{}, err
	}
	var d subsystemData
	if d.Subsystem, err = s.Subsystem(r.Context(), id); err != nil {
		return d, err
	}
	if d.Services, err = s.Services(r.Context(), id); err != nil {
		return d, err
	}
	if d.CanManage = s.can(r, ManageMember, d.Subsystem.UnitID); d.CanManage {
		if d.Rights, err = s.rights(r.Context(), `g.consumer_id = $1`, id); err != nil {
			return d, err
		}
		if d.Credentials, err = s.Credentials(r.Context(), id); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (s *Store) subsystemShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.subsystemData(r)
	if err != nil {
		return err
	}
	return subsystemPage.Render(w, r, d)
}

func (s *Store) serviceCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	var sv Service
	sv, err = s.CreateService(r, id, ServiceInput{Code: r.PostFormValue("serviceCode"), Name: r.PostFormValue("name"), Description: r.PostFormValue("description"),
		BackendURL: r.PostFormValue("backendUrl"), TimeoutMS: formInt(r, "timeoutMs")})
	return done(w, r, err, "/hub/services/"+strconv.FormatInt(sv.ID, 10), "hub_saved", func() error {
		d, derr := s.subsystemData(r)
		if derr != nil {
			return derr
		}
		return subsystemPage.FormError(w, r, err, d)
	})
}

// issue shows a new credential once, on the subsystem's page.
func (s *Store) issue(w http.ResponseWriter, r *http.Request, kind string) error {
	d, err := s.subsystemData(r)
	if err != nil {
		return err
	}
	if err := s.mayManage(r, d.Subsystem); err != nil {
		return err
	}
	in := CredentialInput{Name: r.PostFormValue("name")}
	var is IssuedCredential
	if kind == KindSecret {
		is, err = s.IssueSecret(r.Context(), d.Subsystem, in, ActorOf(r))
	} else {
		in.CSR, in.Days = r.PostFormValue("csr"), formInt(r, "days")
		is, err = s.IssueCertificate(r.Context(), d.Subsystem, in, ActorOf(r))
	}
	if err != nil {
		if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
			return subsystemPage.FormError(w, r, err, d)
		}
		return err
	}
	d, err = s.subsystemData(r)
	if err != nil {
		return err
	}
	d.Issued = &is
	w.Header().Set("Cache-Control", "no-store")
	return subsystemPage.Render(w, r, d)
}

func (s *Store) secretIssue(w http.ResponseWriter, r *http.Request) error {
	return s.issue(w, r, KindSecret)
}

func (s *Store) certificateIssue(w http.ResponseWriter, r *http.Request) error {
	return s.issue(w, r, KindCertificate)
}

func (s *Store) credentialRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.credentialFor(r, id)
	if err != nil {
		return err
	}
	if _, err := s.RevokeCredential(r.Context(), id, ActorOf(r)); err != nil {
		return err
	}
	web.Redirect(w, r, "/hub/subsystems/"+strconv.FormatInt(c.SubsystemID, 10)+"?ok=hub_revoked")
	return nil
}

// ---- a service

type serviceData struct {
	Service      Service
	Rights       []Right
	Requests     []AccessRequest
	CanManage    bool
	MySubsystems []Subsystem // the consumers the official may ask access for
	Methods      []string
}

func (s *Store) serviceData(r *http.Request) (serviceData, error) {
	if err := s.canView(r); err != nil {
		return serviceData{}, err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return serviceData{}, err
	}
	d := serviceData{Methods: append([]string{"*"}, Methods...)}
	if d.Service, err = s.Service(r.Context(), id); err != nil {
		return d, err
	}
	if d.CanManage = s.can(r, ManageMember, d.Service.UnitID); d.CanManage {
		if d.Rights, err = s.rights(r.Context(), `g.service_id = $1`, id); err != nil {
			return d, err
		}
		if d.Requests, err = s.requests(r.Context(), `q.service_id = $1 AND q.state = $2`, id, RequestPending); err != nil {
			return d, err
		}
	}
	all, err := s.Subsystems(r.Context(), 0)
	if err != nil {
		return d, err
	}
	for _, x := range all {
		if x.ID != d.Service.SubsystemID && s.can(r, ManageMember, x.UnitID) {
			d.MySubsystems = append(d.MySubsystems, x)
		}
	}
	return d, nil
}

func (s *Store) serviceShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.serviceData(r)
	if err != nil {
		return err
	}
	return servicePage.Render(w, r, d)
}

// serviceForm handles a form of the service page.
func (s *Store) serviceForm(w http.ResponseWriter, r *http.Request, flash string, act func(id int64) error) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	err = act(id)
	return done(w, r, err, "/hub/services/"+strconv.FormatInt(id, 10), flash, func() error {
		d, derr := s.serviceData(r)
		if derr != nil {
			return derr
		}
		return servicePage.FormError(w, r, err, d)
	})
}

func (s *Store) serviceEnable(w http.ResponseWriter, r *http.Request) error {
	return s.serviceForm(w, r, "hub_saved", func(id int64) error {
		sv, err := s.Service(r.Context(), id)
		if err != nil {
			return err
		}
		on := r.PostFormValue("enabled") == "true"
		_, err = s.EditService(r, id, ServiceEdit{Name: sv.Name, Description: sv.Description, BackendURL: sv.BackendURL, TimeoutMS: sv.TimeoutMS, Enabled: &on})
		return err
	})
}

func (s *Store) endpointCreate(w http.ResponseWriter, r *http.Request) error {
	return s.serviceForm(w, r, "hub_saved", func(id int64) error {
		_, err := s.AddEndpoint(r, id, EndpointInput{Method: r.PostFormValue("method"), Path: r.PostFormValue("path")})
		return err
	})
}

func (s *Store) openapiUpload(w http.ResponseWriter, r *http.Request) error {
	return s.serviceForm(w, r, "hub_openapi", func(id int64) error {
		_, err := s.SetOpenAPI(r, id, OpenAPIInput{Document: r.PostFormValue("document"), URL: r.PostFormValue("url")})
		return err
	})
}

func (s *Store) rightGrant(w http.ResponseWriter, r *http.Request) error {
	return s.serviceForm(w, r, "hub_granted", func(id int64) error {
		_, err := s.Grant(r, id, RightInput{Consumer: r.PostFormValue("consumer"), EndpointID: formID(r, "endpointId")})
		return err
	})
}

func (s *Store) accessRequest(w http.ResponseWriter, r *http.Request) error {
	return s.serviceForm(w, r, "hub_requested", func(id int64) error {
		_, err := s.RequestAccess(r, AccessRequestInput{ServiceID: id, ConsumerID: formID(r, "consumerId"), EndpointID: formID(r, "endpointId"), Reason: r.PostFormValue("reason")})
		if e, ok := errs.As(err); ok && len(e.Fields) == 1 && e.Fields[0].Name == "consumer" && formID(r, "consumerId") == 0 {
			e.Fields[0].Name = "consumerId"
		}
		return err
	})
}

func (s *Store) endpointEnable(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	sv, err := s.SetEndpoint(r, id, EndpointEdit{Enabled: r.PostFormValue("enabled") == "true"})
	if err != nil {
		return err
	}
	web.Redirect(w, r, "/hub/services/"+strconv.FormatInt(sv.ID, 10)+"?ok=hub_saved")
	return nil
}

func (s *Store) rightRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	g, err := s.right(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.Revoke(r, id); err != nil {
		return err
	}
	web.Redirect(w, r, "/hub/services/"+strconv.FormatInt(g.ServiceID, 10)+"?ok=hub_revoked")
	return nil
}

// ---- access requests

type requestsData struct {
	ToDecide []AccessRequest
	Mine     []AccessRequest
	Done     []AccessRequest
}

func (s *Store) requestsData(r *http.Request) (requestsData, error) {
	all, err := s.AccessRequests(r, "")
	if err != nil {
		return requestsData{}, err
	}
	var d requestsData
	for _, q := range all {
		switch {
		case q.State == RequestPending && s.can(r, ManageMember, q.ProviderUnitID):
			d.ToDecide = append(d.ToDecide, q)
		case q.State == RequestPending:
			d.Mine = append(d.Mine, q)
		default:
			d.Done = append(d.Done, q)
		}
	}
	return d, nil
}

func (s *Store) requestsShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.requestsData(r)
	if err != nil {
		return err
	}
	return requestsPage.Render(w, r, d)
}

func (s *Store) requestDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	in := DecisionInput{Note: r.PostFormValue("note")}
	switch r.PathValue("decision") {
	case "approve":
		_, err = s.Decide(r, id, true, in)
	case "refuse":
		_, err = s.Decide(r, id, false, in)
	case "withdraw":
		_, err = s.Withdraw(r, id)
	default:
		return errs.NotFound
	}
	return done(w, r, err, "/hub/requests", "hub_decided", func() error {
		d, derr := s.requestsData(r)
		if derr != nil {
			return derr
		}
		return requestsPage.FormError(w, r, err, d)
	})
}
