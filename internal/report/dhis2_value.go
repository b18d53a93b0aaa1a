package report

// Value checks that need no database: a value against its data element's
// value type, and the same value key twice in one payload.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ValueType is a DHIS2 value type name.
type ValueType string

// The value types tinhso's indicators use (issue 7: number, integer,
// percentage, yes/no, text), under DHIS2's names.
const (
	TypeNumber                ValueType = "NUMBER"
	TypeInteger               ValueType = "INTEGER"
	TypeIntegerPositive       ValueType = "INTEGER_POSITIVE"
	TypeIntegerNegative       ValueType = "INTEGER_NEGATIVE"
	TypeIntegerZeroOrPositive ValueType = "INTEGER_ZERO_OR_POSITIVE"
	TypePercentage            ValueType = "PERCENTAGE"
	TypeUnitInterval          ValueType = "UNIT_INTERVAL"
	TypeBoolean               ValueType = "BOOLEAN"
	TypeTrueOnly              ValueType = "TRUE_ONLY"
	TypeText                  ValueType = "TEXT"
	TypeLongText              ValueType = "LONG_TEXT"
	TypeDate                  ValueType = "DATE"
)

// MaxTextLength bounds TEXT and LONG_TEXT values in characters. DHIS2 caps
// a data value at 50,000 characters whatever its text type.
const MaxTextLength = 50000

// ValueError says why a value does not fit its type. Key is DHIS2's i18n
// key for the reason (value_not_numeric …), Message the English text put
// into the E7619 conflict.
type ValueError struct {
	Key     string
	Message string
}

func (e *ValueError) Error() string { return e.Message }

func valueErr(key, msg string) *ValueError { return &ValueError{Key: key, Message: msg} }

// CheckValue checks value against t. An empty value is not checked here:
// DHIS2 treats it as "delete the value" (or E7618 when the comment is empty
// too), which the import decides. Unknown types accept anything, so a new
// type in the catalogue never blocks an import before it has a check.
func CheckValue(t ValueType, value string) *ValueError {
	if value == "" {
		return nil
	}
	switch t {
	case TypeNumber:
		if !isNumber(value) {
			return notNumeric(value)
		}
	case TypePercentage, TypeUnitInterval:
		if !isNumber(value) {
			return notNumeric(value)
		}
		f, _ := strconv.ParseFloat(value, 64)
		if t == TypePercentage && (f < 0 || f > 100) {
			return valueErr("value_not_percentage", "value_not_percentage: a percentage is a number from 0 to 100")
		}
		if t == TypeUnitInterval && (f < 0 || f > 1) {
			return valueErr("value_not_unit_interval", "value_not_unit_interval: a number from 0 to 1 is expected")
		}
	case TypeInteger:
		if !isInteger(value, true, true, true) {
			return notInteger("value_not_integer", "an integer", value)
		}
	case TypeIntegerPositive:
		if !isInteger(value, false, false, true) {
			return notInteger("value_not_positive_integer", "a positive integer", value)
		}
	case TypeIntegerNegative:
		if !isInteger(value, true, false, false) {
			return notInteger("value_not_negative_integer", "a negative integer", value)
		}
	case TypeIntegerZeroOrPositive:
		if !isInteger(value, false, true, true) {
			return notInteger("value_not_zero_or_positive_integer", "zero or a positive integer", value)
		}
	case TypeBoolean:
		switch strings.ToLower(value) {
		case "true", "false", "1", "0":
		default:
			return valueErr("value_not_bool", "value_not_bool: true or false is expected")
		}
	case TypeTrueOnly:
		switch strings.ToLower(value) {
		case "true", "1":
		default:
			return valueErr("value_not_true_only", "value_not_true_only: only true is accepted")
		}
	case TypeText, TypeLongText:
		if n := utf8.RuneCountInString(value); n > MaxTextLength {
			return valueErr("value_length_greater_than_max_length",
				fmt.Sprintf("value_length_greater_than_max_length: %d characters, at most %d", n, MaxTextLength))
		}
	case TypeDate:
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return valueErr("value_not_valid_date", "value_not_valid_date: a date as yyyy-MM-dd is expected")
		}
	}
	return nil
}

func notNumeric(value string) *ValueError {
	if isDecimalComma(value) {
		return valueErr("value_not_numeric",
			"value_not_numeric: `"+value+"` uses a decimal comma; DHIS2 values use a dot (`"+
				strings.Replace(value, ",", ".", 1)+"`)")
	}
	return valueErr("value_not_numeric", "value_not_numeric: a number such as 12 or 1.5 is expected")
}

func notInteger(key, what, value string) *ValueError {
	if isDecimalComma(value) {
		return valueErr(key, key+": `"+value+"` uses a decimal comma and is not "+what)
	}
	return valueErr(key, key+": "+what+" is expected")
}

// isDecimalComma tells a Vietnamese-style decimal ("1,5", "-0,25") from
// other garbage so the message can say what to change. A thousands
// separator like "1.234,5" is one too; either way the fix is the client's.
func isDecimalComma(s string) bool {
	i := strings.IndexByte(s, ',')
	if i < 0 || strings.Count(s, ",") != 1 {
		return false
	}
	return isNumber(strings.ReplaceAll(s[:i], ".", "") + "." + s[i+1:])
}

// isNumber accepts what DHIS2's numeric check accepts: an optional minus,
// digits with an optional fraction after a dot, an optional exponent; no
// plus sign, no spaces, no NaN or Infinity, no hexadecimal.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// isInteger follows DHIS2's integer patterns: no leading zeros ("007" is
// refused), "0" alone for zero, "-0" never; int32 range, as DHIS2 stores
// integers.
func isInteger(s string, negative, zero, positive bool) bool {
	if s == "0" {
		return zero
	}
	neg := strings.HasPrefix(s, "-")
	d := strings.TrimPrefix(s, "-")
	if d == "" || d[0] == '0' {
		return false
	}
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	if _, err := strconv.ParseInt(s, 10, 32); err != nil {
		return false
	}
	return neg && negative || !neg && positive
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// DuplicateChecker finds the same (dataElement, period, orgUnit,
// categoryOptionCombo, attributeOptionCombo) twice in one payload. It keeps
// one map entry per distinct key (about 100 bytes each), so a 1,000,000
// value import holds ~100 MB here; callers that already sort or key values
// in the database should use that instead. The zero value is ready to use.
type DuplicateChecker struct {
	seen map[string]int
}

// Check records v at index and, if the key was seen before, returns the
// index of its first occurrence and true. Identifiers are compared as sent:
// call it after defaults are applied (the readers do) and, when a payload
// mixes schemes, after resolving identifiers.
func (d *DuplicateChecker) Check(index int, v DataValue) (first int, dup bool) {
	if d.seen == nil {
		d.seen = map[string]int{}
	}
	key := v.DataElement + "\x00" + v.Period + "\x00" + v.OrgUnit + "\x00" +
		v.CategoryOptionCombo + "\x00" + v.AttributeOptionCombo
	if first, ok := d.seen[key]; ok {
		return first, true
	}
	d.seen[key] = index
	return index, false
}

// DuplicateConflict is the conflict for a value repeated at a later index
// than first (see E7699).
func DuplicateConflict(v DataValue, first int) Conflict {
	return NewConflict(E7699, v.DataElement, v.Period, v.OrgUnit, strconv.Itoa(first))
}
