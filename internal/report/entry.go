package report

// Saving what an official typed on the entry form (Lưu nháp): numbers as
// Vietnamese write them (1.234,5 and 12,5, read by locale.ParseDecimal and
// stored as DHIS2 numbers 1234.5 and 12.5), yes/no as a choice, text, and
// a comment per value.
//
// A draft keeps what was typed even when some values are wrong: every
// valid change of one save is written together, in one transaction
// (WriteValues, source "form"), and each invalid one is refused with its
// own message and left on the form as typed, for the official to correct.
// Nothing is half-written: if the transaction fails, none of the save is
// stored. Rules are not enforced on a draft (they block Submit).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
)

// EntryOption is a category option of an indicator on the entry form.
type EntryOption struct {
	ID         int64
	Code, Name string
}

// EntryItem is an indicator on the entry form.
type EntryItem struct {
	ID                     int64
	Code, Name, Measure    string
	ValueType              string
	Derived                bool
	Numerator, Denominator int64
	Factor                 float64
	Options                []EntryOption
}

// EntrySection is a section of the entry form.
type EntrySection struct {
	Name  string
	Items []EntryItem
}

// entryLayout reads a form's sections and indicators, in order, with what
// the entry form needs of each.
func (s *Store) entryLayout(ctx context.Context, form int64) ([]EntrySection, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT s.id, s.name, i.id, i.code, i.name, i.measure, i.value_type,
		COALESCE(i.numerator_id, 0), COALESCE(i.denominator_id, 0), i.factor
		FROM report_form_sections s JOIN report_form_indicators fi ON fi.section_id = s.id JOIN report_indicators i ON i.id = fi.indicator_id
		WHERE s.form_id = $1 ORDER BY s.sort_order, fi.sort_order`, form)
	if err != nil {
		return nil, fmt.Errorf("report: entry form: %w", err)
	}
	var out []EntrySection
	last := int64(0)
	byID := map[int64][]*EntryItem{}
	for rows.Next() {
		var sid int64
		var name string
		var it EntryItem
		if err := rows.Scan(&sid, &name, &it.ID, &it.Code, &it.Name, &it.Measure, &it.ValueType, &it.Numerator, &it.Denominator, &it.Factor); err != nil {
			rows.Close()
			return nil, err
		}
		it.Derived = it.Numerator != 0
		if sid != last {
			out = append(out, EntrySection{Name: name})
			last = sid
		}
		sec := &out[len(out)-1]
		sec.Items = append(sec.Items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		for j := range out[i].Items {
			it := &out[i].Items[j]
			byID[it.ID] = append(byID[it.ID], it)
		}
	}
	orows, err := s.db.Read.QueryContext(ctx, `SELECT indicator_id, id, code, name FROM report_category_options ORDER BY indicator_id, sort_order`)
	if err != nil {
		return nil, err
	}
	defer orows.Close()
	for orows.Next() {
		var ind int64
		var o EntryOption
		if err := orows.Scan(&ind, &o.ID, &o.Code, &o.Name); err != nil {
			return nil, err
		}
		for _, it := range byID[ind] {
			it.Options = append(it.Options, o)
		}
	}
	return out, orows.Err()
}

// fieldName is the form field of an indicator's value (option 0: the
// indicator without options); comments are "c." and the same.
func fieldName(indicator, option int64) string { return fmt.Sprintf("v.%d.%d", indicator, option) }

func commentName(indicator, option int64) string { return fmt.Sprintf("c.%d.%d", indicator, option) }

// EntryField is what was typed for one value: Has* say the field was on
// the form that was sent (a field not sent is left as it is).
type EntryField struct {
	Indicator, Option    int64
	Value, Comment       string
	HasValue, HasComment bool
}

// EntryError is a value refused by a save: the form field, and the
// message's catalogue key ("invalid." + Code) and arguments.
type EntryError struct {
	Field string
	Code  string
	Args  []any
}

// SaveResult is what a save did: the values written (created, changed or
// deleted) and the fields refused.
type SaveResult struct {
	Saved  int
	Errors []EntryError
}

// isNumeric reports whether an indicator of value type t is typed as a
// number.
func isNumeric(t string) bool {
	switch ValueType(t) {
	case TypeNumber, TypeInteger, TypeIntegerPositive, TypeIntegerNegative, TypeIntegerZeroOrPositive, TypePercentage, TypeUnitInterval:
		return true
	}
	return false
}

// normalise turns what was typed for an indicator of type t into the value
// as stored, or the catalogue code of why it cannot be.
func normalise(lang locale.Lang, t, typed string) (string, string, []any) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return "", "", nil
	}
	switch {
	case isNumeric(t):
		v, err := locale.ParseDecimal(lang, typed)
		if errors.Is(err, locale.ErrAmbiguous) {
			return "", "report.entry_ambiguous", []any{typed}
		} else if err != nil {
			return "", "report.entry_not_number", []any{typed}
		}
		return v, "", nil
	case t == string(TypeBoolean) || t == string(TypeTrueOnly):
		if typed != "true" && typed != "false" {
			return "", "report.entry_choice", nil
		}
		return typed, "", nil
	case t == string(TypeDate):
		iso, ok := locale.ParseDate(typed)
		if !ok {
			return "", "date", nil
		}
		return iso, "", nil
	}
	return typed, "", nil
}

// SaveEntry writes what an official typed on the entry form for report k
// (see the file's comment): the caller must enter data for the unit, the
// report must be open, a draft or returned, and the period open for the
// unit; otherwise the whole save is refused. lang is the language the
// numbers were typed in; reason says why values changed (the history keeps
// it). An open report becomes a draft.
func (s *Store) SaveEntry(ctx context.Context, p *org.Principal, k ReportKey, fields []EntryField, lang locale.Lang, reason string) (SaveResult, error) {
	var res SaveResult
	info, err := s.preEntry(ctx, p, k, "")
	if err != nil {
		return res, err
	}
	k = info.key
	reason = strings.TrimSpace(reason)
	v := errs.Validator{Context: "report"}
	v.Text("reason", reason, errs.Paragraph)
	if err := v.Err(); err != nil {
		return res, err
	}
	now := s.now()
	row, err := readSub(ctx, s.db.Read, k)
	if err != nil {
		return res, err
	}
	if !Editable(row.state) {
		return res, errNotEditable
	}
	if err := s.entryOpen(ctx, s.db.Read, info, now); err != nil {
		return res, err
	}
	layout, err := s.entryLayout(ctx, k.Form)
	if err != nil {
		return res, err
	}
	items := map[int64]EntryItem{}
	for _, sec := range layout {
		for _, it := range sec.Items {
			items[it.ID] = it
		}
	}
	current, err := ReportValues(ctx, s.db.Read, k)
	if err != nil {
		return res, err
	}
	type key struct{ ind, opt int64 }
	have := map[key]StoredValue{}
	for _, cv := range current {
		have[key{cv.IndicatorID, cv.OptionID}] = cv
	}
	checker, err := s.NewChecker(ctx, p)
	if err != nil {
		return res, err
	}
	var writes []ValueInput
	for _, f := range fields {
		it, ok := items[f.Indicator]
		if !ok || it.Derived || (!f.HasValue && !f.HasComment) {
			continue
		}
		if f.Option != 0 && !containsOption(it.Options, f.Option) || f.Option == 0 && len(it.Options) > 0 {
			continue
		}
		name := fieldName(f.Indicator, f.Option)
		old, exists := have[key{f.Indicator, f.Option}]
		value, comment := old.Value, old.Comment
		if f.HasValue {
			var code string
			var args []any
			if value, code, args = normalise(lang, it.ValueType, f.Value); code != "" {
				res.Errors = append(res.Errors, EntryError{Field: name, Code: code, Args: args})
				continue
			}
		}
		if f.HasComment {
			comment = strings.TrimSpace(f.Comment)
			cv := errs.Validator{}
			cv.Text(commentName(f.Indicator, f.Option), comment, errs.Paragraph)
			if e, ok := errs.As(cv.Err()); ok {
				res.Errors = append(res.Errors, EntryError{Field: e.Fields[0].Name, Code: e.Fields[0].Code, Args: e.Fields[0].Args})
				continue
			}
		}
		if exists && value == old.Value && comment == old.Comment || !exists && value == "" && comment == "" {
			continue
		}
		in := ValueInput{Key: Key{Indicator: f.Indicator, Option: f.Option, Unit: k.Unit, Period: k.Period}, PeriodOf: info.period,
			Value: value, Comment: comment, Delete: value == "" && comment == ""}
		if verr := CheckValue(ValueType(it.ValueType), value); verr != nil {
			res.Errors = append(res.Errors, EntryError{Field: name, Code: "report.entry_" + verr.Key})
			continue
		}
		_, cf, err := checker.Check(ctx, &in, k.Form)
		if err != nil {
			return res, err
		}
		if cf != nil {
			res.Errors = append(res.Errors, EntryError{Field: name, Code: "report.entry_refused", Args: []any{string(cf.ErrorCode), cf.Value}})
			continue
		}
		writes = append(writes, in)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Someone may have sent the report since it was read.
		row, err := readSub(ctx, tx, k)
		if err != nil {
			return err
		}
		if !Editable(row.state) {
			return errNotEditable
		}
		if len(writes) > 0 {
			out, err := s.WriteValues(ctx, tx, writes, WriteOptions{User: userID(p), Source: "form", Reason: reason, Now: now})
			if err != nil {
				return err
			}
			res.Saved = 0
			for _, o := range out {
				if o != Ignored {
					res.Saved++
				}
			}
		}
		return markDraft(ctx, tx, k, now)
	})
	if err != nil {
		return SaveResult{}, err
	}
	return res, nil
}

func containsOption(opts []EntryOption, id int64) bool {
	for _, o := range opts {
		if o.ID == id {
			return true
		}
	}
	return false
}

func userID(p *org.Principal) int64 {
	if p == nil {
		return 0
	}
	return p.UserID
}
