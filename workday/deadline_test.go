package workday

import (
	"errors"
	"strings"
	"testing"
	"time"

	"shuyu"
)

func newCal(t *testing.T, extra ...Day) *Calendar {
	t.Helper()
	c, err := New(extra...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func date(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, Zone)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour) // mid-morning: acceptance time of day must not matter
}

// Expected dates are counted by hand on the State Council schedules; each
// comment walks the days after acceptance (WDk = k-th working day).
var dueCases = []struct {
	name     string
	accepted string
	n        int
	want     string
}{
	// 2025 春节 Jan 28-Feb 4 off; Jan 26 (Sun) and Feb 8 (Sat) make-up days.
	{"R18_2_2025SpringFestival", "2025-01-24", 5, "2025-02-07"},  // 26 WD1, 27 WD2, Feb 5,6,7
	{"R21_1_2025SpringFestival", "2025-01-24", 10, "2025-02-13"}, // Feb 8 (Sat) WD6, 10,11,12,13
	// 2025 清明 Apr 4-6.
	{"R20_2_2025Qingming", "2025-04-02", 5, "2025-04-10"}, // 3, then 7,8,9,10
	// 2025 劳动节 May 1-5, Apr 27 (Sun) make-up.
	{"R18_2_2025LabourDay", "2025-04-25", 5, "2025-05-06"}, // 27,28,29,30, May 6
	// 2025 端午 May 31-Jun 2.
	{"R20_2_2025DragonBoat", "2025-05-30", 5, "2025-06-09"}, // Jun 3,4,5,6,9
	// 2025 国庆中秋 Oct 1-8; Sep 28 (Sun) and Oct 11 (Sat) make-up.
	{"R21_1_2025NationalDay", "2025-09-26", 10, "2025-10-16"}, // 28,29,30, Oct 9,10,11,13,14,15,16
	// 2026 元旦 Jan 1-3, Jan 4 (Sun) make-up; crosses the year boundary.
	{"R18_2_2026NewYear", "2025-12-31", 5, "2026-01-08"}, // Jan 4,5,6,7,8
	// 2026 春节 Feb 15-23; Feb 14 (Sat) and Feb 28 (Sat) make-up.
	{"R18_2_2026SpringFestival", "2026-02-13", 5, "2026-02-27"},  // 14, then 24,25,26,27
	{"R21_1_2026SpringFestival", "2026-02-13", 10, "2026-03-05"}, // 28 WD6, Mar 2,3,4,5
	// 2026 清明 Apr 4-6.
	{"R20_2_2026Qingming", "2026-04-03", 5, "2026-04-13"}, // 7,8,9,10,13
	// 2026 劳动节 May 1-5, May 9 (Sat) make-up.
	{"R20_2_2026LabourDay", "2026-04-30", 5, "2026-05-11"}, // 6,7,8,9,11
	// 2026 端午 Jun 19-21.
	{"R18_2_2026DragonBoat", "2026-06-18", 5, "2026-06-26"}, // 22..26
	// 2026 中秋 Sep 25-27, then 国庆 Oct 1-7; Sep 20 (Sun) and Oct 10 (Sat) make-up.
	{"R21_1_2026MidAutumn", "2026-09-18", 10, "2026-10-09"},   // 20,21,22,23,24,28,29,30, Oct 8,9
	{"R18_2_2026NationalDay", "2026-09-30", 5, "2026-10-13"},  // Oct 8,9,10,12,13
	{"R21_1_2026NationalDay", "2026-09-30", 10, "2026-10-20"}, // +14,15,16,19,20
	// Acceptance on a holiday, a weekend, a make-up Saturday: that day never counts.
	{"R18_2_2026AcceptedOnHoliday", "2026-10-03", 5, "2026-10-13"},
	{"R18_2_2026AcceptedOnSunday", "2026-10-11", 5, "2026-10-16"},
	{"R18_2_2026AcceptedOnMakeupSaturday", "2026-10-10", 5, "2026-10-16"},
	// 2027 春节 Feb 5-13; Jan 31 (Sun) and Feb 14 (Sun) make-up.
	{"R20_2_2027SpringFestivalBefore", "2027-01-29", 5, "2027-02-04"}, // Jan 31, Feb 1,2,3,4
	{"R20_2_2027SpringFestival", "2027-02-04", 5, "2027-02-18"},       // 14,15,16,17,18
	// 2027 清明 Apr 3-5.
	{"R18_2_2027Qingming", "2027-04-02", 5, "2027-04-12"}, // 6,7,8,9,12
	// 2027 劳动节 May 1-5, May 8 (Sat) make-up.
	{"R20_2_2027LabourDay", "2027-04-30", 5, "2027-05-11"}, // 6,7,8,10,11
	// 2027 端午 Jun 9 (Wed) only.
	{"R18_2_2027DragonBoat", "2027-06-08", 5, "2027-06-16"}, // 10,11,14,15,16
	// 2027 中秋 Sep 15 (Wed); 国庆 Oct 1-7, Sep 26 (Sun) and Oct 9 (Sat) make-up.
	{"R21_1_2027MidAutumn", "2027-09-14", 10, "2027-09-28"},  // 16,17,20..24,26,27,28
	{"R21_1_2027NationalDay", "2027-09-30", 5, "2027-10-13"}, // Oct 8,9,11,12,13
	// The year before the data: only the days after acceptance matter.
	{"R18_2_AcceptedDec31BeforeData", "2024-12-31", 1, "2025-01-02"},
	// Near the end of the data without crossing it.
	{"R18_2_2027EndOfData", "2027-12-27", 3, "2027-12-30"},
}

func TestDue_Schedules(t *testing.T) {
	c := newCal(t)
	for _, tt := range dueCases {
		t.Run(tt.name, func(t *testing.T) {
			due, err := c.Due(date(tt.accepted), tt.n)
			if err != nil {
				t.Fatalf("Due(%s, %d): %v", tt.accepted, tt.n, err)
			}
			want := tt.want + "T23:59:59.999999999+08:00"
			if got := due.Format(time.RFC3339Nano); got != want {
				t.Errorf("Due(%s, %d) = %s, want %s", tt.accepted, tt.n, got, want)
			}
			if !c.IsWorkday(due) {
				t.Errorf("Due(%s, %d) = %s is not a working day", tt.accepted, tt.n, tt.want)
			}
		})
	}
}

// The time of day of acceptance is irrelevant, but its date is taken in
// Shanghai: an instant late in the UTC evening is already tomorrow.
func TestDue_R18_2_AcceptedLateUTCIsNextDayInShanghai(t *testing.T) {
	c := newCal(t)
	tests := []struct {
		accepted time.Time
		want     string
	}{
		{time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC), "2026-10-13"},  // Oct 1 01:00 +08, a holiday
		{time.Date(2026, 9, 29, 16, 30, 0, 0, time.UTC), "2026-10-13"}, // Sep 30 00:30 +08, not Sep 29 (-> Oct 12)
		{time.Date(2026, 9, 29, 15, 59, 0, 0, time.UTC), "2026-10-12"}, // Sep 29 23:59 +08
		{time.Date(2026, 10, 9, 16, 30, 0, 0, time.UTC), "2026-10-16"}, // Oct 10 00:30 +08 (make-up Sat)
		{time.Date(2026, 9, 30, 23, 59, 59, 0, Zone), "2026-10-13"},
		{time.Date(2026, 9, 30, 0, 0, 0, 0, Zone), "2026-10-13"},
	}
	for _, tt := range tests {
		due, err := c.Due(tt.accepted, 5)
		if err != nil {
			t.Fatal(err)
		}
		if got := due.Format(time.DateOnly); got != tt.want {
			t.Errorf("Due(%s, 5) = %s, want %s", tt.accepted.Format(time.RFC3339), got, tt.want)
		}
	}
}

func TestDue_R21_1_NonPositiveIsInvalid(t *testing.T) {
	c := newCal(t)
	for _, n := range []int{0, -1} {
		_, err := c.Due(date("2026-09-30"), n)
		if code := shuyu.ErrorCode(err); code != shuyu.EINVALID {
			t.Errorf("Due(n=%d) error = %v, want EINVALID", n, err)
		}
	}
}

func TestDue_R21_3_UncoveredYearIsAnError(t *testing.T) {
	c := newCal(t)
	tests := []struct {
		accepted string
		n        int
		year     int
	}{
		{"2027-12-24", 10, 2028}, // Dec 27-31 are five; the rest would be guessed
		{"2028-03-01", 5, 2028},
		{"2024-06-03", 5, 2024},
		{"2030-01-07", 1, 2030},
	}
	for _, tt := range tests {
		_, err := c.Due(date(tt.accepted), tt.n)
		if err == nil {
			t.Errorf("Due(%s, %d) succeeded across an unknown year", tt.accepted, tt.n)
			continue
		}
		msg := shuyu.ErrorMessage(err)
		if !strings.Contains(msg, "缺少") || !strings.Contains(msg, itoa(tt.year)) {
			t.Errorf("Due(%s, %d) message %q does not name missing year %d", tt.accepted, tt.n, msg, tt.year)
		}
		var e *shuyu.Error
		if !errors.As(err, &e) || e.Details != (MissingYear{Year: tt.year}) {
			t.Errorf("Due(%s, %d) details = %+v, want MissingYear{%d}", tt.accepted, tt.n, err, tt.year)
		}
	}
}

func itoa(n int) string { return time.Date(n, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") }

// Next year's schedule arrives in November and is passed as extra days.
func TestDue_R21_1_ExtraYearExtendsCoverage(t *testing.T) {
	c := newCal(t,
		Day{Date: "2028-01-01", Kind: Holiday, Name: "元旦节"}, // a Saturday
		Day{Date: "2028-01-03", Kind: Holiday, Name: "元旦节"}, // fictional Monday off
	)
	if !c.Covered(2028) || c.Covered(2029) {
		t.Fatalf("Covered(2028)=%v Covered(2029)=%v", c.Covered(2028), c.Covered(2029))
	}
	due, err := c.Due(date("2027-12-24"), 10) // Dec 27..31, Jan 4,5,6,7,10
	if err != nil {
		t.Fatal(err)
	}
	if got := due.Format(time.DateOnly); got != "2028-01-10" {
		t.Errorf("Due = %s, want 2028-01-10", got)
	}
}

func TestCovered_R21_3_StrayDayDoesNotCoverYear(t *testing.T) {
	c := newCal(t, Day{Date: "2028-02-05", Kind: Workday, Name: "春节"})
	if c.Covered(2028) {
		t.Error("a single make-up day marked 2028 as covered")
	}
	if _, err := c.Due(date("2027-12-24"), 10); err == nil {
		t.Error("Due crossed into 2028 with only a stray day loaded")
	}
	for _, y := range []int{2025, 2026, 2027} {
		if !c.Covered(y) {
			t.Errorf("Covered(%d) = false", y)
		}
	}
	if c.Covered(2024) {
		t.Error("Covered(2024) = true")
	}
}

// Due must agree with a naive day-by-day walk over the listed days and the
// weekday rule, for every acceptance day of the covered years.
func TestDue_R21_1_AgreesWithNaiveWalk(t *testing.T) {
	c := newCal(t)
	for day := date("2025-01-01"); day.Year() < 2028; day = day.AddDate(0, 0, 1) {
		for _, n := range []int{1, 5, 10} {
			want, ok := naiveDue(c, day, n)
			got, err := c.Due(day, n)
			if !ok {
				if err == nil {
					t.Fatalf("Due(%s, %d) = %s, want missing-year error", day.Format(time.DateOnly), n, got)
				}
				continue
			}
			if err != nil || got.Format(time.DateOnly) != want {
				t.Fatalf("Due(%s, %d) = %s, %v; naive walk gives %s", day.Format(time.DateOnly), n, got, err, want)
			}
		}
	}
}

func naiveDue(c *Calendar, day time.Time, n int) (string, bool) {
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if !c.Covered(day.Year()) {
			return "", false
		}
		d, listed := c.Lookup(day)
		wd := day.Weekday()
		if listed && d.Kind == Workday || !listed && wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day.Format(time.DateOnly), true
}

func TestAdd_R18_2(t *testing.T) {
	c := newCal(t)
	got, err := c.Add(date("2026-09-30"), 5)
	if err != nil || got.Format(time.RFC3339) != "2026-10-13T00:00:00+08:00" {
		t.Errorf("Add(2026-09-30, 5) = %s, %v", got.Format(time.RFC3339), err)
	}
	got, err = c.Add(date("2026-10-13"), -5) // 12, 10 (Sat), 9, 8, Sep 30
	if err != nil || got.Format(time.DateOnly) != "2026-09-30" {
		t.Errorf("Add(2026-10-13, -5) = %s, %v", got, err)
	}
	got, err = c.Add(date("2026-10-03"), 0)
	if err != nil || got.Format(time.RFC3339) != "2026-10-03T00:00:00+08:00" {
		t.Errorf("Add(2026-10-03, 0) = %s, %v", got.Format(time.RFC3339), err)
	}
	// Jan 2 2025 is the first working day of the data; one before is in 2024.
	if _, err := c.Add(date("2025-01-03"), -2); shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE ||
		!strings.Contains(shuyu.ErrorMessage(err), "2024") {
		t.Errorf("Add(2025-01-03, -2) error = %v, want missing 2024", err)
	}
}
