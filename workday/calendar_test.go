package workday

import (
	"errors"
	"testing"
	"time"

	"shuyu"
)

// Hand checks against the State Council notices.
func TestCalendar_R21_1_KnownDays(t *testing.T) {
	c := newCal(t)
	tests := []struct {
		day  string
		work bool
		name string // "" when not listed
	}{
		{"2025-01-26", true, "春节"}, // Sunday make-up
		{"2025-01-28", false, "春节"},
		{"2025-02-04", false, "春节"},
		{"2025-02-05", true, ""},
		{"2025-02-08", true, "春节"}, // Saturday make-up
		{"2026-02-14", true, "春节"},
		{"2026-02-23", false, "春节"},
		{"2026-09-20", true, "国庆节"},
		{"2026-10-01", false, "国庆节"},
		{"2026-10-07", false, "国庆节"},
		{"2026-10-08", true, ""},
		{"2026-10-10", true, "国庆节"}, // Saturday make-up
		{"2026-10-11", false, ""},   // plain Sunday
		{"2027-06-09", false, "端午节"},
		{"2030-01-07", true, ""},  // beyond the data: weekday rule
		{"2030-01-05", false, ""}, // beyond the data: Saturday
	}
	for _, tt := range tests {
		d := date(tt.day)
		if got := c.IsWorkday(d); got != tt.work {
			t.Errorf("IsWorkday(%s) = %v, want %v", tt.day, got, tt.work)
		}
		got, listed := c.Lookup(d)
		if listed != (tt.name != "") || got.Name != tt.name {
			t.Errorf("Lookup(%s) = %+v, %v; want name %q", tt.day, got, listed, tt.name)
		}
	}
	// 2026-09-30T17:00Z is Oct 1 in Shanghai: a holiday, though Sep 30 is not.
	if c.IsWorkday(time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC)) {
		t.Error("IsWorkday(2026-09-30T17:00Z) = true; it is Oct 1 01:00 in Shanghai")
	}
}

func TestCalendar_R21_1_Days(t *testing.T) {
	c := newCal(t)
	days := c.Days(2026)
	var holidays, makeups int
	for i, d := range days {
		if d.Date[:4] != "2026" {
			t.Errorf("Days(2026) holds %s", d.Date)
		}
		if i > 0 && days[i-1].Date >= d.Date {
			t.Errorf("Days(2026) not sorted at %s", d.Date)
		}
		if d.Kind == Holiday {
			holidays++
		} else {
			makeups++
		}
	}
	// 2026: 元旦 3 + 春节 9 + 清明 3 + 劳动 5 + 端午 3 + 中秋 3 + 国庆 7 = 33 days off;
	// make-up days Jan 4, Feb 14, Feb 28, May 9, Sep 20, Oct 10 = 6.
	if holidays != 33 || makeups != 6 {
		t.Errorf("Days(2026): %d holidays and %d make-up days, want 33 and 6", holidays, makeups)
	}
	days[0].Name = "changed"
	if c.Days(2026)[0].Name == "changed" {
		t.Error("Days returns the calendar's own slice")
	}
	if len(c.Days(2031)) != 0 {
		t.Error("Days(2031) not empty")
	}
}

func TestNew_R21_1_RejectsBadExtras(t *testing.T) {
	_, err := New(
		Day{Date: "2026-02-30", Kind: Holiday, Name: "x"},  // no such date
		Day{Date: "2026-10-10", Kind: Holiday, Name: "x"},  // embedded says make-up day
		Day{Date: "2026-10-12", Kind: Workday, Name: "x"},  // a Monday cannot be a make-up day
		Day{Date: "2026-12-31", Name: "x"},                 // no kind
		Day{Date: "2026/12/30", Kind: Holiday, Name: "x"},  // wrong format
		Day{Date: "2026-10-01", Kind: Holiday, Name: "国庆"}, // same kind: harmless
	)
	var e *shuyu.Error
	if !errors.As(err, &e) || e.Code != shuyu.EINVALID {
		t.Fatalf("New error = %v, want EINVALID", err)
	}
	fe, _ := e.Details.([]shuyu.FieldError)
	want := []string{"extra[0].date", "extra[1].kind", "extra[2].kind", "extra[3].kind", "extra[4].date"}
	if len(fe) != len(want) {
		t.Fatalf("details = %+v, want fields %v", fe, want)
	}
	for i := range want {
		if fe[i].Field != want[i] || fe[i].Message == "" {
			t.Errorf("details[%d] = %+v, want field %s", i, fe[i], want[i])
		}
	}
}

func TestDayKind_R21_1_Text(t *testing.T) {
	for _, k := range []DayKind{Holiday, Workday} {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back DayKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("round trip of %v gave %v, %v", k, back, err)
		}
	}
	var k DayKind
	if err := k.UnmarshalText([]byte("weekend")); err == nil {
		t.Error("UnmarshalText(weekend) succeeded")
	}
	if _, err := DayKind(0).MarshalText(); err == nil {
		t.Error("MarshalText(0) succeeded")
	}
}

func TestZone_R21_1(t *testing.T) {
	_, off := time.Date(2026, 7, 1, 0, 0, 0, 0, Zone).Zone()
	if Zone.String() != "Asia/Shanghai" || off != 8*3600 {
		t.Errorf("Zone = %s offset %d", Zone, off)
	}
}
