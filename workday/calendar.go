// Package workday is China's official working-day calendar (法定节假日 and
// 调休 make-up working days) and the deadline arithmetic the measures need:
// 5 working days for merchant onboarding (R18.2) and compliance checks
// (R20.2), 10 for each review (R21.1), after which silence is approval
// (R21.3). The official schedule is data (holidays.json, embedded) that the
// authority extends each November when the State Council announces the next
// year; callers pass additions to New.
package workday

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // a bare server image still knows Asia/Shanghai

	"shuyu"
)

// Zone is Asia/Shanghai, the zone every working day is counted in.
var Zone = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("workday: " + err.Error()) // unreachable: time/tzdata is linked in
	}
	return loc
}

// DayKind says whether a listed day is a day off or a make-up working day.
type DayKind int

const (
	Holiday DayKind = iota + 1 // 放假: a day off, whatever the weekday
	Workday                    // 调休上班: a weekend day that is a working day
)

func (k DayKind) String() string {
	switch k {
	case Holiday:
		return "holiday"
	case Workday:
		return "workday"
	}
	return fmt.Sprintf("DayKind(%d)", int(k))
}

// MarshalText writes "holiday" or "workday", the words in holidays.json.
func (k DayKind) MarshalText() ([]byte, error) {
	if k != Holiday && k != Workday {
		return nil, fmt.Errorf("workday: invalid day kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads "holiday" or "workday".
func (k *DayKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "holiday":
		*k = Holiday
	case "workday":
		*k = Workday
	default:
		return fmt.Errorf("workday: unknown day kind %q (want holiday or workday)", b)
	}
	return nil
}

// Day is one entry of the official schedule.
type Day struct {
	Date string  `json:"date"` // YYYY-MM-DD
	Kind DayKind `json:"kind"`
	Name string  `json:"name"` // the festival, e.g. 国庆节
}

// File is the layout of holidays.json.
type File struct {
	Note string `json:"note"`
	Days []Day  `json:"days"`
}

//go:embed holidays.json
var embedded []byte

// Calendar answers working-day questions. It is immutable after New and
// safe for concurrent use.
type Calendar struct {
	days    map[int32]Day // by ordinal (days since 1970-01-01)
	byYear  map[int][]Day // sorted by date
	covered map[int]bool

	// Precomputed over [base, base+len(work)): work[i] says whether the day
	// is a working day, cum[i] counts working days in [base, base+i] and wd
	// lists the working days' offsets, so Due is two lookups (hot path of
	// the deadline sweep over every open review).
	base     int32
	firstY   int
	work     []bool
	cum      []int32
	wd       []int32
	lastYear int
}

// New builds the calendar from the embedded schedule plus extra days (for
// instance next year's schedule loaded from the database). A bad date, an
// unknown kind, a make-up working day that is not a weekend day, or two
// entries for one date with different kinds are an EINVALID error.
func New(extra ...Day) (*Calendar, error) {
	var f File
	if err := json.Unmarshal(embedded, &f); err != nil {
		return nil, fmt.Errorf("workday.New: embedded holidays.json: %w", err)
	}
	c := &Calendar{days: map[int32]Day{}, byYear: map[int][]Day{}, covered: map[int]bool{}}
	var problems []shuyu.FieldError
	add := func(field string, d Day) {
		t, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			problems = append(problems, shuyu.FieldError{Field: field + ".date",
				Message: fmt.Sprintf("日期 %q 无效，应为 YYYY-MM-DD (bad date)", d.Date)})
			return
		}
		if d.Kind != Holiday && d.Kind != Workday {
			problems = append(problems, shuyu.FieldError{Field: field + ".kind",
				Message: "类型须为 holiday 或 workday (bad kind)"})
			return
		}
		if wd := t.Weekday(); d.Kind == Workday && wd != time.Saturday && wd != time.Sunday {
			problems = append(problems, shuyu.FieldError{Field: field + ".kind",
				Message: fmt.Sprintf("%s 是%s，调休上班日应为周末 (make-up day must be a weekend day)", d.Date, weekdayZH[wd])})
			return
		}
		o := ordinal(t)
		if old, ok := c.days[o]; ok {
			if old.Kind != d.Kind {
				problems = append(problems, shuyu.FieldError{Field: field + ".kind",
					Message: fmt.Sprintf("%s 重复且类型冲突：%s 与 %s (conflicting duplicate)", d.Date, old.Kind, d.Kind)})
			}
			return // a same-kind duplicate is harmless; keep the first name
		}
		c.days[o] = d
		c.byYear[t.Year()] = append(c.byYear[t.Year()], d)
		// Coverage: New Year's Day is a statutory holiday every year, so a
		// loaded schedule for year Y always lists Y-01-01. Keying on it keeps
		// a stray make-up day (or a holiday bridging into late December) from
		// marking a whole year as known.
		if d.Kind == Holiday && t.Month() == time.January && t.Day() == 1 {
			c.covered[t.Year()] = true
		}
	}
	for i, d := range f.Days {
		add(fmt.Sprintf("holidays.json[%d]", i), d)
	}
	for i, d := range extra {
		add(fmt.Sprintf("extra[%d]", i), d)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("workday.New: %w", shuyu.Errorf(shuyu.EINVALID,
			"节假日安排数据有误 (invalid holiday schedule)").WithDetails(problems))
	}
	for y := range c.byYear {
		slices.SortFunc(c.byYear[y], func(a, b Day) int { return compareStrings(a.Date, b.Date) })
	}
	c.buildTable()
	return c, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// buildTable precomputes working days over every year that has entries.
func (c *Calendar) buildTable() {
	if len(c.byYear) == 0 {
		return
	}
	minY, maxY := 1<<30, -1<<30
	for y := range c.byYear {
		minY, maxY = min(minY, y), max(maxY, y)
	}
	c.firstY, c.lastYear = minY, maxY
	c.base = ordinal(time.Date(minY, 1, 1, 0, 0, 0, 0, time.UTC))
	end := ordinal(time.Date(maxY+1, 1, 1, 0, 0, 0, 0, time.UTC))
	n := int(end - c.base)
	c.work = make([]bool, n)
	c.cum = make([]int32, n)
	var count int32
	for i := range n {
		o := c.base + int32(i)
		w := isWeekday(o)
		if d, ok := c.days[o]; ok {
			w = d.Kind == Workday
		}
		c.work[i] = w
		if w {
			count++
			c.wd = append(c.wd, int32(i))
		}
		c.cum[i] = count
	}
}

// Covered reports whether the official schedule for year is known.
func (c *Calendar) Covered(year int) bool { return c.covered[year] }

// Days returns the year's listed holidays and make-up working days, sorted.
func (c *Calendar) Days(year int) []Day { return slices.Clone(c.byYear[year]) }

// Lookup returns the listed entry for t's date in Zone, if any.
func (c *Calendar) Lookup(t time.Time) (Day, bool) {
	d, ok := c.days[ordinal(dateIn(t))]
	return d, ok
}

// IsWorkday reports whether t's date in Zone is a working day. Outside the
// years with data it falls back to Monday..Friday; Due, unlike this, refuses
// to guess (see Covered).
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.isWorkOrd(ordinal(dateIn(t)))
}

func (c *Calendar) isWorkOrd(o int32) bool {
	if i := o - c.base; i >= 0 && int(i) < len(c.work) {
		return c.work[i]
	}
	return isWeekday(o)
}

var weekdayZH = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// dateIn returns midnight UTC of t's calendar date in Zone; working days are
// counted on dates, so UTC keeps the arithmetic free of zone lookups.
func dateIn(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ordinal is the number of days since 1970-01-01 of a UTC midnight.
func ordinal(t time.Time) int32 {
	return int32(floorDiv(t.Unix(), 86400))
}

func fromOrdinal(o int32) (year int, month time.Month, day int) {
	return time.Unix(int64(o)*86400, 0).UTC().Date()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// isWeekday: 1970-01-01 (ordinal 0) was a Thursday.
func isWeekday(o int32) bool {
	w := (int64(o) + 4) % 7 // 0 = Sunday
	if w < 0 {
		w += 7
	}
	return w != 0 && w != 6
}
