package report

// The import behind POST /api/dataValueSets: a DHIS2 payload (JSON or CSV)
// streamed value by value through the readers of dhis2_read.go, each value
// resolved from the client's identifiers (ids or codes, per the id
// schemes) with preloaded maps, checked by the Checker every write path
// uses, refused with DHIS2's conflicts (the client's identifiers in the
// text), and written by WriteValues in one transaction for the whole
// import. Reading and checking run on one goroutine, writing on another, so
// the two cores of a small server share the work; neither holds more than a
// few batches of values.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
)

// DefaultImportLimit caps one dataValueSets payload (Store.MaxImportBytes
// when zero): 90 MiB holds a million values in DHIS2 JSON named by codes
// (about 75 bytes each) and three times that in CSV, and refuses a 100 MB
// upload with a message naming the cap.
const DefaultImportLimit int64 = 90 << 20

// DefaultCOC is the uid of DHIS2's default category option combo, which
// clients send for "no disaggregation"; tinhso's option 0.
const DefaultCOC = "HllvX50cXC0"

// importBatch is how many checked values go to the writer at once.
const importBatch = 20000

// Payload formats of POST /api/dataValueSets.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// ImportRequest is one dataValueSets import: who imports, what, how.
type ImportRequest struct {
	Principal *org.Principal
	Body      io.Reader
	Format    string // FormatJSON or FormatCSV
	Options   ImportOptions
	// Force skips the period and approval locks (DHIS2's superuser
	// force=true); the caller has authorised it.
	Force bool
	// Source names the write path in the values' history ("api", "web").
	Source string
	// Progress, when set, is called from the reading goroutine every few
	// thousand values with the number read so far.
	Progress func(read int)
}

// ValuesResult is an import's summary and what it covered.
type ValuesResult struct {
	Summary ImportSummary
	// Read is the number of values in the payload.
	Read int
	// Reports are the reports (form × unit × period) the written values
	// belong to, for registering completeness (completeDate).
	Reports []ReportKey
	// CompleteDate is the payload's completeDate, "" when absent.
	CompleteDate string
}

// Changed reports whether the import changed any value.
func (r ValuesResult) Changed() bool {
	c := r.Summary.ImportCount
	return c.Imported+c.Updated+c.Deleted > 0
}

// errSetRefused stops reading after a set-level refusal was recorded.
var errSetRefused = errors.New("dataValueSets: set refused")

// ImportDataValues runs one import. Set-level refusals, value conflicts
// and malformed payloads are answers, in the summary (ERROR for the first
// and last: nothing is written); the error is for the database failing
// and for ErrPayloadTooLarge, which the API answers with 413. A dry run
// does everything and rolls back.
func (s *Store) ImportDataValues(ctx context.Context, req ImportRequest) (ValuesResult, error) {
	im, err := s.newImporter(ctx, req)
	if err != nil {
		return ValuesResult{}, err
	}
	return im.run(ctx)
}

// resolver maps the client's identifiers onto tinhso's ids, from maps
// loaded once per import.
type resolver struct {
	indByCode  map[string]int64
	indByID    map[int64]bool
	unitByCode map[string]int64
	unitCode   map[int64]string
	optByCode  map[int64]map[string]int64 // indicator → option code → id
	optCode    map[int64]string
	formByCode map[string]int64
	formCode   map[int64]string
	periods    map[string]Period // parsed periods; zero Period for a bad one
}

func (s *Store) newResolver(ctx context.Context) (*resolver, error) {
	r := &resolver{indByCode: map[string]int64{}, indByID: map[int64]bool{}, unitByCode: map[string]int64{}, unitCode: map[int64]string{},
		optByCode: map[int64]map[string]int64{}, optCode: map[int64]string{}, formByCode: map[string]int64{}, formCode: map[int64]string{},
		periods: map[string]Period{}}
	q := s.db.Read
	scan := func(query string, fn func(id int64, code string)) error {
		rows, err := q.QueryContext(ctx, query)
		if err != nil {
			return fmt.Errorf("report: resolver: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var code string
			if err := rows.Scan(&id, &code); err != nil {
				return err
			}
			fn(id, code)
		}
		return rows.Err()
	}
	if err := scan(`SELECT id, code FROM report_indicators`, func(id int64, code string) { r.indByCode[code], r.indByID[id] = id, true }); err != nil {
		return nil, err
	}
	// Every unit that ever existed: payloads for past periods name the
	// units of their day (a district before 1 July 2025).
	if err := scan(`SELECT id, code FROM org_units`, func(id int64, code string) { r.unitByCode[code], r.unitCode[id] = id, code }); err != nil {
		return nil, err
	}
	if err := scan(`SELECT id, code FROM report_forms`, func(id int64, code string) { r.formByCode[code], r.formCode[id] = id, code }); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, indicator_id, code FROM report_category_options`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, ind int64
		var code string
		if err := rows.Scan(&id, &ind, &code); err != nil {
			return nil, err
		}
		if r.optByCode[ind] == nil {
			r.optByCode[ind] = map[string]int64{}
		}
		r.optByCode[ind][code] = id
		r.optCode[id] = code
	}
	return r, rows.Err()
}

// byScheme resolves s under scheme: a tinhso id written as a number (UID),
// or a code looked up in byCode.
func byScheme(scheme IDScheme, s string, byCode map[string]int64, exists func(int64) bool) (int64, bool) {
	s = strings.TrimSpace(s)
	if scheme == SchemeCode {
		id, ok := byCode[s]
		return id, ok
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || !exists(id) {
		return 0, false
	}
	return id, true
}

func (r *resolver) indicator(scheme IDScheme, s string) (int64, bool) {
	return byScheme(scheme, s, r.indByCode, func(id int64) bool { return r.indByID[id] })
}

func (r *resolver) unit(scheme IDScheme, s string) (int64, bool) {
	return byScheme(scheme, s, r.unitByCode, func(id int64) bool { _, ok := r.unitCode[id]; return ok })
}

func (r *resolver) form(scheme IDScheme, s string) (int64, bool) {
	return byScheme(scheme, s, r.formByCode, func(id int64) bool { _, ok := r.formCode[id]; return ok })
}

// isDefaultCombo tells DHIS2's "no disaggregation": nothing, "default",
// or the default category option combo's uid.
func isDefaultCombo(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || strings.EqualFold(s, "default") || s == DefaultCOC
}

// option resolves a category option combo of indicator ind: 0 for the
// default, else one of its options. Under UID an id of another
// indicator's option passes here and the Checker refuses it (E7613).
func (r *resolver) option(scheme IDScheme, ind int64, s string) (int64, bool) {
	if isDefaultCombo(s) {
		return 0, true
	}
	if scheme == SchemeCode {
		id, ok := r.optByCode[ind][strings.TrimSpace(s)]
		return id, ok
	}
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if _, known := r.optCode[id]; err != nil || !known {
		return 0, false
	}
	return id, true
}

func (r *resolver) period(s string) Period {
	p, ok := r.periods[s]
	if !ok {
		p, _ = ParsePeriod(s)
		if len(r.periods) < 10000 {
			r.periods[s] = p
		}
	}
	return p
}

// dupKey is a value's key with the period interned, for finding a key
// twice in a payload (a million-value import keeps a million of them).
// Indicator and option ids are far below 2³².
type dupKey struct {
	unit     int64
	ind, opt uint32
	period   uint32
}

// packed is the key in 64 bits when its parts fit (indicator < 2²¹,
// option < 2¹¹, unit < 2²⁴, the payload's 256th period at most), which
// they do in any province: a map of packed keys takes about half the
// memory of one of dupKeys, most of an import's live heap.
func (k dupKey) packed() (uint64, bool) {
	if k.ind >= 1<<21 || k.opt >= 1<<11 || k.unit < 0 || k.unit >= 1<<24 || k.period >= 1<<8 {
		return 0, false
	}
	return uint64(k.ind)<<43 | uint64(k.opt)<<32 | uint64(k.unit)<<8 | uint64(k.period), true
}

// keysSeen is the keys of a payload read so far, each with the index of
// its first value.
type keysSeen struct {
	packed map[uint64]int32
	wide   map[dupKey]int32 // the keys that do not pack
}

// add records k at index i, or returns the index of its first value.
func (ks *keysSeen) add(k dupKey, i int32) (first int32, dup bool) {
	if p, ok := k.packed(); ok {
		if first, dup = ks.packed[p]; !dup {
			ks.packed[p] = i
		}
		return first, dup
	}
	if first, dup = ks.wide[k]; !dup {
		ks.wide[k] = i
	}
	return first, dup
}

// importer is one import under way.
type importer struct {
	ctx      context.Context
	s        *Store
	req      ImportRequest
	opts     ImportOptions
	chk      *Checker
	res      *resolver
	sum      SummaryBuilder
	seen     keysSeen
	periodNo map[string]uint32
	setForm  int64
	setName  string // the data set as the client named it
	complete string
	reports  map[ReportKey]bool
	batch    []ValueInput
	read     int
	out      chan []ValueInput
	writer   *importWriter
}

func (s *Store) newImporter(ctx context.Context, req ImportRequest) (*importer, error) {
	chk, err := s.NewChecker(ctx, req.Principal)
	if err != nil {
		return nil, err
	}
	if req.Force {
		chk.Force()
	}
	res, err := s.newResolver(ctx)
	if err != nil {
		return nil, err
	}
	if req.Source == "" {
		req.Source = "api"
	}
	im := &importer{s: s, req: req, opts: req.Options, chk: chk, res: res, seen: keysSeen{packed: map[uint64]int32{}, wide: map[dupKey]int32{}}, periodNo: map[string]uint32{},
		reports: map[ReportKey]bool{}}
	im.sum.Options(req.Options.Echo())
	return im, nil
}

// importWriter writes batches in one transaction on its own goroutine.
type importWriter struct {
	s  *Store
	o  WriteOptions
	tx *sql.Tx
	// bulk is the set-based writer on PostgreSQL (bulk.go); nil on SQLite,
	// which writes through WriteValues.
	bulk *pgBulk
	// release ends the transaction's connection (bulkTx).
	release func()
	count   ImportCount
	err     error
	done    chan struct{}
	cancel  context.CancelFunc
	once    sync.Once
}

func (w *importWriter) run(ctx context.Context, in <-chan []ValueInput) {
	defer close(w.done)
	for vs := range in {
		if w.err != nil {
			continue // drain, so the reader never blocks
		}
		if w.err = w.write(ctx, vs); w.err != nil {
			w.cancel()
		}
	}
}

// write writes one batch and counts its outcomes: set-based on
// PostgreSQL (bulk.go), through WriteValues on SQLite. The transaction is
// begun at the first batch, after every set-level check: an audited
// refusal writes through the (on SQLite, single) writer connection, which
// the transaction would hold.
func (w *importWriter) write(ctx context.Context, vs []ValueInput) error {
	if w.tx == nil {
		var err error
		if w.tx, w.bulk, w.release, err = w.s.bulkTx(ctx, w.o); err != nil {
			return err
		}
	}
	if w.bulk != nil {
		c, err := w.bulk.write(ctx, vs)
		if err != nil {
			return err
		}
		w.count.Imported += c.Imported
		w.count.Updated += c.Updated
		w.count.Deleted += c.Deleted
		w.count.Ignored += c.Ignored
		return nil
	}
	out, err := w.s.WriteValues(ctx, w.tx, vs, w.o)
	if err != nil {
		return err
	}
	for _, o := range out {
		switch o {
		case Imported:
			w.count.Imported++
		case Updated:
			w.count.Updated++
		case Deleted:
			w.count.Deleted++
		default:
			w.count.Ignored++
		}
	}
	return nil
}

// finish adds the running totals the writer gathered, before it commits.
func (w *importWriter) finish(ctx context.Context) error {
	if w.bulk != nil {
		return w.bulk.finish(ctx)
	}
	return w.s.flushTotals(ctx, w.tx, w.o.later)
}

func (w *importWriter) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
	if w.release != nil {
		w.release()
		w.release = nil
	}
}

func (im *importer) run(ctx context.Context) (ValuesResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	im.ctx = ctx
	im.out = make(chan []ValueInput, 2)
	var user int64
	if p := im.req.Principal; p != nil {
		user = p.UserID
	}
	im.writer = &importWriter{s: im.s, done: make(chan struct{}), cancel: cancel,
		o: WriteOptions{User: user, Source: im.req.Source, Strategy: im.opts.Strategy, Reason: "DHIS2 dataValueSets", later: newTotalsLater(im.s.deferTotalsAfter())}}
	if im.req.Force {
		im.writer.o.Reason += " (force)"
	}
	go im.writer.run(ctx, im.out)
	closed := false
	finish := func() {
		if !closed {
			closed = true
			close(im.out)
			<-im.writer.done
		}
	}
	defer func() {
		finish()
		im.writer.rollback()
	}()

	read := ReadOptions{MaxBytes: im.s.importLimit(), CSVHeader: im.opts.CSVHeader(), OnHeader: im.header}
	var rerr error
	switch im.req.Format {
	case FormatCSV:
		rerr = ReadCSV(im.req.Body, read, im.value)
	default:
		var h DataValueSet
		h, rerr = ReadJSON(im.req.Body, read, im.value)
		if c := strings.TrimSpace(h.CompleteDate); c != "" {
			im.complete = c
		}
	}
	if rerr == nil {
		rerr = im.flush()
	}
	finish()
	if im.writer.err != nil {
		return ValuesResult{}, im.writer.err
	}
	if err := ctx.Err(); err != nil && rerr == nil {
		return ValuesResult{}, err
	}
	var pe *PayloadError
	switch {
	case rerr == nil:
	case errors.Is(rerr, errSetRefused):
		im.sum.count = ImportCount{Ignored: im.read}
		return ValuesResult{Summary: im.sum.Summary(), Read: im.read}, nil
	case errors.As(rerr, &pe), errors.Is(rerr, ErrLateDefault):
		// The payload is refused as a whole: what was checked so far is
		// rolled back, and the summary says so.
		var fail SummaryBuilder
		fail.Options(im.opts.Echo())
		fail.RefuseSet(Conflict{Object: "dataValueSets", Value: rerr.Error(), Property: "dataValues"}, im.read)
		return ValuesResult{Summary: fail.Summary(), Read: im.read}, nil
	default:
		return ValuesResult{}, rerr
	}
	c := im.writer.count
	im.sum.count.Imported += c.Imported
	im.sum.count.Updated += c.Updated
	im.sum.count.Deleted += c.Deleted
	im.sum.count.Ignored += c.Ignored
	result := ValuesResult{Read: im.read, CompleteDate: im.complete}
	for k := range im.reports {
		result.Reports = append(result.Reports, k)
	}
	result.Summary = im.sum.Summary()
	tx := im.writer.tx
	if tx == nil || im.opts.DryRun {
		return result, nil // nothing written, or a dry run: rolled back by the deferred call
	}
	if err := im.writer.finish(ctx); err != nil {
		return ValuesResult{}, err
	}
	if result.Changed() {
		if err := audit.Record(ctx, tx, audit.FromContext(ctx, audit.ReportValuesImport, im.subject(), im.detail(result), true)); err != nil {
			return ValuesResult{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return ValuesResult{}, fmt.Errorf("report: commit import: %w", err)
	}
	im.writer.tx = nil
	im.writer.rollback() // ends the connection
	return result, nil
}

// deferTotalsAfter is how many report_agg rows an import gathers before
// it adds them (analytics_rebuild.go). A row added before the import has
// passed all of its values is added again later (an upsert that reads and
// rewrites it), so the bound is what memory allows: with the bucket names
// and period days shared (aggDeltas.buckets, stmtCache.days) a gathered
// row costs about 150 bytes, collector's slack included — 200,000 of them
// added 30 MB to the million-value import's peak (docs/perf.md). At
// 50,000, that import's shape (50,000 values a quarter, four quarters a
// year) added every year's rows four times.
func (s *Store) deferTotalsAfter() int {
	if s.deferTotals > 0 {
		return s.deferTotals
	}
	return 200_000
}

func (s *Store) batchSize() int {
	if s.importBatch > 0 {
		return s.importBatch
	}
	return importBatch
}

func (s *Store) importLimit() int64 {
	if s.MaxImportBytes > 0 {
		return s.MaxImportBytes
	}
	return DefaultImportLimit
}

func (im *importer) subject() string {
	if im.setName != "" {
		return "dataSet " + im.setName
	}
	return "dataValueSets"
}

func (im *importer) detail(r ValuesResult) string {
	c := r.Summary.ImportCount
	d := fmt.Sprintf("%s: imported %d, updated %d, deleted %d, ignored %d, conflicts %d", im.req.Format, c.Imported, c.Updated, c.Deleted, c.Ignored, len(r.Summary.Conflicts))
	if im.req.Force {
		d += "; force (locks overridden)"
	}
	return d
}

// header applies the set level: the payload's own options, the data set,
// the set-level org unit and attribute option combo. A refusal is an ERROR
// summary (409) and nothing is read further.
func (im *importer) header(h DataValueSet) error {
	if err := im.opts.ApplyPayload(h); err != nil {
		var oe *OptionError
		if errors.As(err, &oe) {
			im.sum.RefuseSet(Conflict{Object: oe.Param, Value: oe.Error(), Property: oe.Param}, 0)
			return errSetRefused
		}
		return err
	}
	im.sum.Options(im.opts.Echo())
	if c := strings.TrimSpace(h.CompleteDate); c != "" {
		im.complete = c
	}
	ds := strings.TrimSpace(h.DataSet)
	if ds == "" {
		ds = strings.TrimSpace(im.opts.DataSet)
	}
	if ds != "" {
		id, ok := im.res.form(im.opts.DataSetScheme(), ds)
		if !ok {
			im.sum.RefuseSet(NewConflict(E7600, ds), 0)
			return errSetRefused
		}
		im.setForm, im.setName = id, ds
	}
	if ou := strings.TrimSpace(h.OrgUnit); ou != "" {
		id, ok := im.res.unit(im.opts.OrgUnitScheme(), ou)
		if !ok {
			im.sum.RefuseSet(NewConflict(E7603, ou), 0)
			return errSetRefused
		}
		if im.setForm != 0 && im.req.Principal != nil {
			// The data set is not writable for a unit out of the caller's
			// scope: refused (and audited) before any value is read.
			if err := im.s.org.Authorize(im.ctx, im.req.Principal, EnterReports, id); err != nil {
				if isAuthError(err) {
					im.sum.RefuseSet(NewConflict(E7601, ds), 0)
					return errSetRefused
				}
				return err
			}
		}
	}
	if aoc := h.AttributeOptionCombo; !isDefaultCombo(aoc) {
		im.sum.RefuseSet(NewConflict(E7604, strings.TrimSpace(aoc)), 0)
		return errSetRefused
	}
	return nil
}

// value resolves, checks and queues one value.
func (im *importer) value(i int, v DataValue) error {
	im.read++
	if im.req.Progress != nil && im.read%5000 == 0 {
		im.req.Progress(im.read)
	}
	o := im.opts
	ind, ok := im.res.indicator(o.DataElementScheme(), v.DataElement)
	if !ok {
		im.sum.Reject(i, NewConflict(E7610, v.DataElement))
		return nil
	}
	pe := im.res.period(strings.TrimSpace(v.Period))
	if pe.IsZero() {
		im.sum.Reject(i, NewConflict(E7611, v.Period))
		return nil
	}
	unit, ok := im.res.unit(o.OrgUnitScheme(), v.OrgUnit)
	if !ok {
		im.sum.Reject(i, NewConflict(E7612, v.OrgUnit))
		return nil
	}
	opt, ok := im.res.option(o.CategoryOptionComboScheme(), ind, v.CategoryOptionCombo)
	if !ok {
		im.sum.Reject(i, NewConflict(E7613, v.CategoryOptionCombo))
		return nil
	}
	if !isDefaultCombo(v.AttributeOptionCombo) {
		im.sum.Reject(i, NewConflict(E7615, strings.TrimSpace(v.AttributeOptionCombo)))
		return nil
	}
	pno, ok := im.periodNo[pe.String()]
	if !ok {
		pno = uint32(len(im.periodNo))
		im.periodNo[pe.String()] = pno
	}
	dk := dupKey{ind: uint32(ind), opt: uint32(opt), unit: unit, period: pno}
	if first, dup := im.seen.add(dk, int32(i)); dup {
		im.sum.Reject(i, DuplicateConflict(v, int(first)))
		return nil
	}
	in := ValueInput{Key: Key{Indicator: ind, Option: opt, Unit: unit, Period: pe.String()}, PeriodOf: pe,
		Value: v.Value, Comment: v.Comment, FollowUp: v.FollowUp,
		// DHIS2 deletes a value sent as deleted, and one sent empty with
		// no comment.
		Delete: v.Deleted || o.Strategy == StrategyDelete || (v.Value == "" && v.Comment == "")}
	form, cf, err := im.chk.Check(im.ctx, &in, im.setForm)
	if err != nil {
		return err
	}
	if cf != nil {
		im.sum.Reject(i, im.sentConflict(cf, v, &in, form))
		return nil
	}
	im.reports[ReportKey{Form: form, Unit: unit, Period: pe.String()}] = true
	im.batch = append(im.batch, in)
	if len(im.batch) >= im.s.batchSize() {
		return im.flush()
	}
	return nil
}

// flush hands the batch to the writer.
func (im *importer) flush() error {
	if len(im.batch) == 0 {
		return nil
	}
	select {
	case im.out <- im.batch:
	case <-im.writer.done:
		return errors.New("report: import writer stopped")
	}
	im.batch = make([]ValueInput, 0, im.s.batchSize())
	return nil
}

// formName is a form as the client would name it: as it named the data
// set, else under the data set id scheme.
func (im *importer) formName(form int64) string {
	if form == im.setForm && im.setName != "" {
		return im.setName
	}
	if im.opts.DataSetScheme() == SchemeCode {
		return im.res.formCode[form]
	}
	return id(form)
}

// sentConflict rebuilds a Checker conflict, which names tinhso's ids, with
// the identifiers the client sent, in the order of the code's message.
func (im *importer) sentConflict(cf *Conflict, v DataValue, in *ValueInput, form int64) Conflict {
	de, pe, ou := v.DataElement, v.Period, v.OrgUnit
	user := ""
	if p := im.req.Principal; p != nil {
		user = p.Username
	}
	switch cf.ErrorCode {
	case E7610, E7618:
		return NewConflict(cf.ErrorCode, de)
	case E7611:
		return NewConflict(E7611, pe)
	case E7613:
		return NewConflict(E7613, v.CategoryOptionCombo)
	case E7619:
		if verr := CheckValue(ValueType(in.ValueType), in.Value); verr != nil {
			return ValueTypeConflict(de, verr)
		}
	case E7600:
		return NewConflict(E7600, im.setName)
	case E7633:
		return NewConflict(E7633, de, im.setName)
	case E7632:
		return NewConflict(E7632, pe, de)
	case E7636:
		return NewConflict(E7636, ou, de)
	case E7617:
		return NewConflict(E7617, ou, user)
	case E7641:
		return NewConflict(E7641, pe, in.PeriodOf.Prev().String(), de)
	case E7642:
		return NewConflict(E7642, ou, pe, im.formName(form), "default")
	case E7643:
		return NewConflict(E7643, pe, im.formName(form))
	}
	return *cf
}

// isAuthError tells a refusal of Authorize from a failure.
func isAuthError(err error) bool {
	return errors.Is(err, errs.Forbidden) || errors.Is(err, errs.Unauthorized)
}
