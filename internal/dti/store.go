package dti

import (
	"context"
	"time"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// Actions of the DTI domain, allowed in Mount.
const (
	ViewDTI     org.Action = "dti.view"     // read frameworks, assessments, scores and published results
	ManageDTI   org.Action = "dti.manage"   // import frameworks, open and publish assessments, correct published scores
	AssessDTI   org.Action = "dti.assess"   // self-assess a unit (its own official)
	ReviewDTI   org.Action = "dti.review"   // the preliminary review (Sở KH&CN, its working group)
	AppraiseDTI org.Action = "dti.appraise" // the appraisal council (Hội đồng thẩm định)
)

// IndicatorSource answers a reporting indicator's value for a unit and a
// year: what a computed component reads. ok is false when there is no
// value. The server fills it (the reporting domain's analytics when they
// are there; ReportValues over the stored values until then).
type IndicatorSource interface {
	Value(ctx context.Context, indicatorCode string, unit int64, year int) (value float64, ok bool, err error)
}

// Store holds DTI frameworks, assessments, scores and published results.
type Store struct {
	db      *store.DB
	org     *org.Store
	reports *report.Store
	// Indicators answers computed components; nil leaves every component
	// to be declared.
	Indicators IndicatorSource
	// Now is the clock deadlines are read by (tests move it).
	Now     func() time.Time
	imports *xlsx.Limiter
}

// NewStore builds the DTI store over db, the registry and the reporting
// domain (whose indicators components may name).
func NewStore(db *store.DB, orgs *org.Store, reports *report.Store) *Store {
	return &Store{db: db, org: orgs, reports: reports, Now: time.Now, imports: xlsx.NewLimiter(2, 2*time.Second)}
}
