package report

// The exchange page (/report/exchange): an official uploads a DHIS2
// dataValueSets file (JSON or CSV), which runs as an import job; the job's
// page shows a progress bar that follows it (a small script polls the
// job's DHIS2 status URL; without the script the page refreshes itself)
// and then the summary, its conflicts explained in Vietnamese.

import (
	"bufio"
	"embed"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

//go:embed templates/exchange*.html
var exchangeTemplates embed.FS

var (
	exchangePage    = web.NewPage(exchangeTemplates, "templates/exchange.html")
	exchangeJobPage = web.NewPage(exchangeTemplates, "templates/exchange_job.html")
)

func (s *Store) exchangePages(site *web.Site) {
	site.BodyLimit("/report/exchange", 4*s.importLimit())
	site.AddMenu("/report/exchange", "nav.report_exchange", string(EnterReports))
	site.Page("GET /report/exchange", s.exchangeShow)
	site.Page("POST /report/exchange", s.exchangeSubmit)
	site.Page("GET /report/exchange/jobs/{id}", s.exchangeJobShow)
}

type exchangeData struct {
	Jobs     []Job
	CanForce bool
	MaxMB    int64
}

func (s *Store) exchangeData(r *http.Request) (exchangeData, error) {
	p := org.PrincipalFrom(r.Context())
	jobs, err := s.Jobs(r.Context(), p.UserID, 20)
	if err != nil {
		return exchangeData{}, err
	}
	can, err := s.org.Can(r.Context(), p, ForceReports, 0)
	return exchangeData{Jobs: jobs, CanForce: can, MaxMB: s.importLimit() >> 20}, err
}

func (s *Store) exchangeShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), EnterReports, 0); err != nil {
		return err
	}
	d, err := s.exchangeData(r)
	if err != nil {
		return err
	}
	return exchangePage.Render(w, r, d)
}

// sniffFormat tells CSV from JSON by the file's name, else by its first
// character that is not a space or a byte-order mark.
func sniffFormat(name string, br *bufio.Reader) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".json":
		return FormatJSON
	}
	b, _ := br.Peek(512)
	t := strings.TrimLeft(strings.TrimPrefix(string(b), "\ufeff"), " \t\r\n")
	if strings.HasPrefix(t, "{") {
		return FormatJSON
	}
	return FormatCSV
}

func (s *Store) exchangeSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, EnterReports, 0); err != nil {
		return err
	}
	fail := func(err error) error {
		d, derr := s.exchangeData(r)
		if derr != nil {
			return derr
		}
		return exchangePage.FormError(w, r, err, d)
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return fail(errs.Invalid(errs.Field{Name: "file", Code: "required", Context: "report_exchange"}))
	}
	defer file.Close()
	opts := DefaultImportOptions()
	opts.DryRun = r.PostFormValue("dryRun") != ""
	if r.PostFormValue("idScheme") == "UID" {
		opts.IDScheme = SchemeUID
	} else {
		opts.IDScheme = SchemeCode
	}
	force := r.PostFormValue("force") != ""
	if force {
		if err := s.org.Authorize(ctx, p, ForceReports, 0); err != nil {
			return err
		}
	}
	br := bufio.NewReaderSize(file, 4096)
	format := sniffFormat(hdr.Filename, br)
	j, err := s.StartImportJob(ctx, br, jobSpec{Principal: p, Format: format, Options: opts, Force: force, Source: "web", FileName: hdr.Filename,
		Query: fmt.Sprintf("idScheme=%s&dryRun=%v&force=%v", opts.IDScheme, opts.DryRun, force)})
	if err != nil {
		if err == ErrPayloadTooLarge {
			return fail(errs.Invalid(errs.Field{Name: "file", Code: "file_too_large", Args: []any{s.importLimit() >> 20}, Context: "report_exchange"}))
		}
		return err
	}
	web.Redirect(w, r, "/report/exchange/jobs/"+j.UID)
	return nil
}

// conflictLine is one conflict as the job page lists it.
type conflictLine struct {
	Code    string
	Message string // in the page's language
	Detail  string // DHIS2's own text
	Indexes string
	Count   int
}

type exchangeJobData struct {
	Job       Job
	Progress  JobProgress
	TaskURL   string
	Conflicts []conflictLine
}

// conflictText explains a conflict in lang from its code and objects.
func conflictText(lang locale.Lang, c Conflict) string {
	key := "report_exchange.conflict." + string(c.ErrorCode)
	if c.ErrorCode == E7619 {
		reason := c.Objects["value"]
		if strings.Contains(c.Value, "decimal comma") {
			reason = "decimal_comma"
		}
		if k := "report_exchange.value." + reason; locale.Has(lang, k) {
			return locale.T(lang, "report_exchange.conflict.E7619", c.Object, locale.T(lang, k))
		}
	}
	if c.ErrorCode != "" && locale.Has(lang, key) {
		return locale.T(lang, key, c.Object)
	}
	return c.Value
}

// indexList shows the first indexes of a conflict, counted from 1 as a
// person counts the values of a file.
func indexList(ix []int) string {
	var b strings.Builder
	for i, n := range ix {
		if i == 20 {
			fmt.Fprintf(&b, " …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, n+1)
	}
	return b.String()
}

func (s *Store) exchangeJobShow(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobFor(r)
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	d := exchangeJobData{Job: j, Progress: j.Progress(), TaskURL: TaskPath(j.UID)}
	if j.Summary != nil {
		for _, c := range j.Summary.Conflicts {
			d.Conflicts = append(d.Conflicts, conflictLine{Code: string(c.ErrorCode), Message: conflictText(lang, c), Detail: c.Value,
				Indexes: indexList(c.Indexes), Count: len(c.Indexes)})
		}
	}
	return exchangeJobPage.Render(w, r, d)
}
