package report

// Import jobs: POST /api/dataValueSets?async=true and the exchange page's
// uploads. The upload is spooled to a temporary file before the answer
// (so the client may hang up), then imported from it on the server's own
// goroutine, one job at a time per server. A job is a row of report_jobs
// (migration 0006), so its state and final summary outlive the request and
// the process; while it runs, its progress is kept in memory by the Store
// that runs it (and, on PostgreSQL, written to the row every few seconds,
// for the other nodes), and answered in DHIS2's shapes at
// /api/system/tasks/DATAVALUE_IMPORT/{id} (notifications, newest first)
// and /api/system/taskSummaries/DATAVALUE_IMPORT/{id} (the ImportSummary).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// JobType is DHIS2's job type of a data value import.
const JobType = "DATAVALUE_IMPORT"

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Notification is one line of a job's progress, in DHIS2's shape
// (org.hisp.dhis.system.notification.Notification). Data carries tinhso's
// progress figures for progress bars: values read, bytes read of the
// upload and the percentage.
type Notification struct {
	Level     string       `json:"level"`
	ID        string       `json:"id"`
	UID       string       `json:"uid"`
	Category  string       `json:"category"`
	Time      string       `json:"time"`
	Message   string       `json:"message"`
	Completed bool         `json:"completed"`
	DataType  string       `json:"dataType,omitempty"`
	Data      *JobProgress `json:"data,omitempty"`
}

// JobProgress is how far a job has read its upload.
type JobProgress struct {
	Read    int   `json:"read"`
	Bytes   int64 `json:"bytes"`
	Total   int64 `json:"total"`
	Percent int   `json:"percent"`
}

// Job is an import job as its owner sees it.
type Job struct {
	UID           string         `json:"id"`
	User          int64          `json:"-"`
	State         string         `json:"state"`
	Format        string         `json:"format"`
	FileName      string         `json:"fileName,omitempty"`
	Options       string         `json:"options,omitempty"`
	Bytes         int64          `json:"bytes"`
	Read          int            `json:"read"`
	Notifications []Notification `json:"notifications"`
	Summary       *ImportSummary `json:"summary,omitempty"`
	CreatedAt     time.Time      `json:"createdAt"`
	StartedAt     *time.Time     `json:"startedAt,omitempty"`
	FinishedAt    *time.Time     `json:"finishedAt,omitempty"`
}

// Progress is the job's last progress figures.
func (j Job) Progress() JobProgress {
	for _, n := range j.Notifications {
		if n.Data != nil {
			return *n.Data
		}
	}
	return JobProgress{Total: j.Bytes}
}

// Finished reports whether the job has ended.
func (j Job) Finished() bool { return j.State == JobDone || j.State == JobFailed }

// jobRunner runs a Store's jobs: one at a time, the live ones' progress in
// memory.
type jobRunner struct {
	mu   sync.Mutex
	live map[string]*liveJob
	sem  chan struct{}
	wg   sync.WaitGroup
}

type liveJob struct {
	mu    sync.Mutex
	job   Job
	bytes atomic.Int64
}

func newJobRunner() *jobRunner {
	return &jobRunner{live: map[string]*liveJob{}, sem: make(chan struct{}, 1)}
}

// WaitJobs waits until the jobs started so far have ended (tests, shutdown).
func (s *Store) WaitJobs() { s.jobs.wg.Wait() }

// notifierTime is how DHIS2 writes a notification's time.
func notifierTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.000") }

// newUID makes a DHIS2-style identifier: 11 characters, a letter first.
func newUID() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const alnum = letters + "0123456789"
	b := make([]byte, 11)
	rand.Read(b)
	out := make([]byte, 11)
	out[0] = letters[int(b[0])%len(letters)]
	for i := 1; i < 11; i++ {
		out[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(out)
}

// jobSpec is what a new job imports.
type jobSpec struct {
	Principal *org.Principal
	Format    string
	Options   ImportOptions
	Force     bool
	Source    string
	FileName  string
	Query     string
}

// StartImportJob spools body (capped at the import limit) to a temporary
// file, records the job and starts it; ErrPayloadTooLarge when the upload
// is over the cap (nothing is recorded). ctx's values (who, from where)
// go with the job; its cancellation does not.
func (s *Store) StartImportJob(ctx context.Context, body io.Reader, spec jobSpec) (Job, error) {
	f, err := os.CreateTemp("", "tinhso-import-*")
	if err != nil {
		return Job{}, fmt.Errorf("report: spool: %w", err)
	}
	remove := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, &capReader{r: body, left: s.importLimit(), limit: s.importLimit()})
	if err != nil {
		remove()
		if errors.Is(err, ErrPayloadTooLarge) || isBodyTooLarge(err) {
			return Job{}, ErrPayloadTooLarge
		}
		return Job{}, fmt.Errorf("report: spool: %w", err)
	}
	now := store.Now()
	j := Job{UID: newUID(), User: spec.Principal.UserID, State: JobQueued, Format: spec.Format, FileName: spec.FileName, Options: spec.Query,
		Bytes: n, CreatedAt: now}
	j.Notifications = []Notification{s.note(j.UID, "INFO", "Import queued", false, &JobProgress{Total: n})}
	notes, _ := json.Marshal(j.Notifications)
	if _, err := s.db.Write.ExecContext(ctx, `INSERT INTO report_jobs (uid, kind, user_id, state, format, file_name, options, bytes, notifications, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, j.UID, JobType, j.User, j.State, j.Format, j.FileName, j.Options, j.Bytes, string(notes), now); err != nil {
		remove()
		return Job{}, fmt.Errorf("report: record job: %w", err)
	}
	live := &liveJob{job: j}
	s.jobs.mu.Lock()
	s.jobs.live[j.UID] = live
	s.jobs.mu.Unlock()
	s.jobs.wg.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		defer remove()
		s.runJob(context.WithoutCancel(ctx), live, f, spec)
	}()
	return j, nil
}

func (s *Store) note(uid, level, msg string, done bool, p *JobProgress) Notification {
	return Notification{Level: level, ID: newUID(), UID: uid, Category: JobType, Time: notifierTime(time.Now()), Message: msg, Completed: done, Data: p,
		DataType: map[bool]string{true: "PARAMETERS"}[p != nil]}
}

// add records a notification (newest first), and on PostgreSQL, at most
// every two seconds or when forced, writes the progress to the row.
func (l *liveJob) add(n Notification) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.job.Notifications = append([]Notification{n}, l.job.Notifications...)
	if len(l.job.Notifications) > 200 {
		l.job.Notifications = l.job.Notifications[:200]
	}
	if n.Data != nil {
		l.job.Read = n.Data.Read
	}
}

func (l *liveJob) snapshot() Job {
	l.mu.Lock()
	defer l.mu.Unlock()
	j := l.job
	j.Notifications = append([]Notification{}, l.job.Notifications...)
	return j
}

func (s *Store) runJob(ctx context.Context, live *liveJob, f *os.File, spec jobSpec) {
	uid := live.job.UID
	s.jobs.sem <- struct{}{}
	defer func() { <-s.jobs.sem }()
	started := store.Now()
	live.mu.Lock()
	live.job.State, live.job.StartedAt = JobRunning, &started
	live.mu.Unlock()
	live.add(s.note(uid, "INFO", "Process started", false, &JobProgress{Total: live.job.Bytes}))
	s.saveJob(ctx, live)
	lastSave := time.Now()
	total := live.job.Bytes
	progress := func(read int) {
		b := live.bytes.Load()
		pct := 0
		if total > 0 {
			pct = int(b * 100 / total)
		}
		live.add(s.note(uid, "INFO", fmt.Sprintf("Importing data values: %d read", read), false, &JobProgress{Read: read, Bytes: b, Total: total, Percent: min(pct, 99)}))
		if s.db.Engine == store.Postgres && time.Since(lastSave) > 2*time.Second {
			s.saveJob(ctx, live)
			lastSave = time.Now()
		}
	}
	var res ValuesResult
	var err error
	if _, err = f.Seek(0, io.SeekStart); err == nil {
		live.add(s.note(uid, "INFO", "Importing data values", false, &JobProgress{Total: total}))
		res, err = s.ImportDataValues(ctx, ImportRequest{Principal: spec.Principal, Body: &countingReader{r: f, n: &live.bytes}, Format: spec.Format,
			Options: spec.Options, Force: spec.Force, Source: spec.Source, Progress: progress})
	}
	finished := store.Now()
	live.mu.Lock()
	live.job.FinishedAt = &finished
	live.mu.Unlock()
	if err != nil {
		slog.ErrorContext(ctx, "import job", "job", uid, "err", err)
		var b SummaryBuilder
		b.Options(spec.Options.Echo())
		msg := "Import failed: internal error"
		if errors.Is(err, ErrPayloadTooLarge) {
			msg = err.Error()
		}
		b.RefuseSet(Conflict{Object: "dataValueSets", Value: msg}, 0)
		sum := b.Summary()
		live.mu.Lock()
		live.job.State, live.job.Summary = JobFailed, &sum
		live.mu.Unlock()
		live.add(s.note(uid, "ERROR", msg, true, &JobProgress{Bytes: live.bytes.Load(), Total: total, Percent: 100}))
	} else {
		res.Summary.DataSetComplete = s.registerComplete(ctx, spec.Principal, &res, spec.Options.DryRun)
		sum := res.Summary
		c := sum.ImportCount
		live.mu.Lock()
		live.job.State, live.job.Summary = JobDone, &sum
		live.mu.Unlock()
		live.add(s.note(uid, "INFO", "Import done", false, nil))
		live.add(s.note(uid, "INFO", fmt.Sprintf("Import complete with status %s, %d created, %d updated, %d deleted, %d ignored",
			sum.Status, c.Imported, c.Updated, c.Deleted, c.Ignored), true, &JobProgress{Read: res.Read, Bytes: total, Total: total, Percent: 100}))
	}
	s.saveJob(ctx, live)
	s.jobs.mu.Lock()
	delete(s.jobs.live, uid)
	s.jobs.mu.Unlock()
}

// saveJob writes a live job's state to its row.
func (s *Store) saveJob(ctx context.Context, live *liveJob) {
	j := live.snapshot()
	notes, _ := json.Marshal(j.Notifications)
	var sum []byte
	if j.Summary != nil {
		sum, _ = json.Marshal(j.Summary)
	}
	if _, err := s.db.Write.ExecContext(ctx, `UPDATE report_jobs SET state = $1, read_values = $2, notifications = $3, summary = $4, started_at = $5, finished_at = $6 WHERE uid = $7`,
		j.State, j.Read, string(notes), string(sum), j.StartedAt, j.FinishedAt, j.UID); err != nil {
		slog.ErrorContext(ctx, "save import job", "job", j.UID, "err", err)
	}
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// JobByUID is a job as it stands: live from memory while this server runs
// it, else from its row. errs.NotFound when there is none.
func (s *Store) JobByUID(ctx context.Context, uid string) (Job, error) {
	s.jobs.mu.Lock()
	live := s.jobs.live[uid]
	s.jobs.mu.Unlock()
	if live != nil {
		return live.snapshot(), nil
	}
	list, err := s.jobs_(ctx, `WHERE uid = $1`, uid)
	if err != nil {
		return Job{}, err
	}
	if len(list) == 0 {
		return Job{}, errs.NotFound
	}
	return list[0], nil
}

// Jobs lists an official's latest jobs, newest first.
func (s *Store) Jobs(ctx context.Context, user int64, limit int) ([]Job, error) {
	list, err := s.jobs_(ctx, fmt.Sprintf(`WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT %d`, limit), user)
	if err != nil {
		return nil, err
	}
	for i, j := range list {
		if !j.Finished() {
			if live, err := s.JobByUID(ctx, j.UID); err == nil {
				list[i] = live
			}
		}
	}
	return list, nil
}

func (s *Store) jobs_(ctx context.Context, where string, args ...any) ([]Job, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT uid, user_id, state, format, file_name, options, bytes, read_values, notifications, summary,
		created_at, started_at, finished_at FROM report_jobs `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("report: jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		var notes, sum string
		var started, finished sql.NullTime
		if err := rows.Scan(&j.UID, &j.User, &j.State, &j.Format, &j.FileName, &j.Options, &j.Bytes, &j.Read, &notes, &sum,
			&j.CreatedAt, &started, &finished); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(notes), &j.Notifications); err != nil {
			return nil, fmt.Errorf("report: job %s notifications: %w", j.UID, err)
		}
		if sum != "" {
			var is ImportSummary
			if err := json.Unmarshal([]byte(sum), &is); err != nil {
				return nil, fmt.Errorf("report: job %s summary: %w", j.UID, err)
			}
			j.Summary = &is
		}
		if started.Valid {
			j.StartedAt = &started.Time
		}
		if finished.Valid {
			j.FinishedAt = &finished.Time
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// jobFor is the job named by the request's {id}, read by its owner or by an
// administrator of the owner's unit (refusals audited).
func (s *Store) jobFor(r *http.Request) (Job, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	j, err := s.JobByUID(ctx, r.PathValue("id"))
	if err != nil {
		return Job{}, err
	}
	if p != nil && p.UserID == j.User {
		return j, nil
	}
	o, err := s.org.Official(ctx, j.User)
	if err != nil {
		return Job{}, err
	}
	if err := s.org.Authorize(ctx, p, org.ManageOfficial, o.UnitID); err != nil {
		return Job{}, err
	}
	return j, nil
}

// jobMessage is DHIS2's answer to async=true: a WebMessage whose response
// is the job configuration with its notifier endpoint.
type jobMessage struct {
	HTTPStatus     string      `json:"httpStatus"`
	HTTPStatusCode int         `json:"httpStatusCode"`
	Status         string      `json:"status"`
	Message        string      `json:"message"`
	Response       jobResponse `json:"response"`
}

type jobResponse struct {
	ResponseType             string `json:"responseType"`
	Name                     string `json:"name"`
	ID                       string `json:"id"`
	Created                  string `json:"created"`
	JobType                  string `json:"jobType"`
	JobStatus                string `json:"jobStatus"`
	RelativeNotifierEndpoint string `json:"relativeNotifierEndpoint"`
}

// TaskPath is a job's notifier endpoint.
func TaskPath(uid string) string { return "/api/system/tasks/" + JobType + "/" + uid }

func (s *Store) startImportJob(w http.ResponseWriter, r *http.Request, p *org.Principal, format string, opts ImportOptions, force bool, source, file string) error {
	j, err := s.StartImportJob(r.Context(), r.Body, jobSpec{Principal: p, Format: format, Options: opts, Force: force, Source: source, FileName: file, Query: r.URL.RawQuery})
	if errors.Is(err, ErrPayloadTooLarge) {
		return s.tooLarge()
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", TaskPath(j.UID))
	httpx.JSON(w, http.StatusOK, jobMessage{HTTPStatus: "OK", HTTPStatusCode: 200, Status: "OK", Message: "Initiated " + JobType,
		Response: jobResponse{ResponseType: "JobConfigurationWebMessageResponse", Name: JobType, ID: j.UID, Created: notifierTime(j.CreatedAt.Local()),
			JobType: JobType, JobStatus: "SCHEDULED", RelativeNotifierEndpoint: TaskPath(j.UID)}})
	return nil
}

func (s *Store) jobRoutes(site *web.Site) {
	api := site.API
	api.Handle(httpx.Route{Method: "GET", Path: "/api/system/tasks/" + JobType + "/{id}", Tag: dhis2Tag,
		Summary: "An import job's progress as DHIS2's notifications, newest first (the owner or an administrator)", Response: Notification{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			j, err := s.jobFor(r)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, j.Notifications)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/system/taskSummaries/" + JobType + "/{id}", Tag: dhis2Tag,
		Summary: "An import job's final ImportSummary (empty while it runs)", Response: ImportSummary{}},
		func(w http.ResponseWriter, r *http.Request) error {
			j, err := s.jobFor(r)
			if err != nil {
				return err
			}
			if j.Summary == nil {
				w.WriteHeader(http.StatusOK)
				return nil
			}
			httpx.JSON(w, 200, j.Summary)
			return nil
		})
	s.exchangePages(site)
}
