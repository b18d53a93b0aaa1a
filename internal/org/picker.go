package org

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
)

// The unit search picker: forms that take unit codes (the reorganisation
// form) mark their fields data-unit-picker, and app.js turns each into a
// search box that asks /units/picker as one types. Without the script the
// field stays what it is underneath: codes typed by hand, found on /units.

// pickerUnit is one choice of the picker.
type pickerUnit struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Ended bool   `json:"ended,omitempty"`
}

// pickerLimit bounds the choices shown for one query.
const pickerLimit = 20

// unitPicker answers the picker: up to pickerLimit units that exist on
// asOf (today by default) whose name or code holds q, accents aside, the
// closest matches first; or, given codes, those units, so that a form
// shown again can name the units it holds.
func (s *Store) unitPicker(w http.ResponseWriter, r *http.Request) error {
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ViewUnits, 0); err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	out := []pickerUnit{}
	if list := codes(q.Get("codes")); len(list) > 0 {
		for _, c := range list[:min(len(list), 50)] {
			if u, err := s.UnitByCode(ctx, c, ""); err == nil {
				u.Label = s.LabelOf(ctx, u)
				out = append(out, pickerUnit{Code: u.Code, Label: u.Label, Ended: u.ValidTo != "" && u.ValidTo < Today()})
			}
		}
		httpx.JSON(w, http.StatusOK, out)
		return nil
	}
	text := strings.TrimSpace(q.Get("q"))
	if text == "" {
		httpx.JSON(w, http.StatusOK, out)
		return nil
	}
	asOf := locale.FormDate(q.Get("asOf"))
	if !ValidDate(asOf) {
		asOf = ""
	}
	units, err := s.Units(ctx, UnitFilter{AsOf: asOf, Query: text})
	if err != nil {
		return err
	}
	// The code typed exactly first, then units whose name has a word that
	// begins what was typed (or whose code does), then those that merely
	// hold it ("an" is in "Thanh"), each in Vietnamese order.
	folded, upper := locale.Fold(text), strings.ToUpper(text)
	rank := func(u Unit) int {
		switch {
		case u.Code == upper:
			return 0
		case strings.Contains(" "+locale.Fold(u.Name), " "+folded), strings.HasPrefix(u.Code, upper):
			return 1
		}
		return 2
	}
	col := locale.Collator()
	slices.SortStableFunc(units, func(a, b Unit) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return col.CompareString(a.Name, b.Name)
	})
	units = units[:min(len(units), pickerLimit)]
	if units, err = s.WithLabels(ctx, units); err != nil {
		return err
	}
	for _, u := range units {
		out = append(out, pickerUnit{Code: u.Code, Label: u.Label})
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}
