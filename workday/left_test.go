package workday

import (
	"testing"
	"time"
)

func TestWorkdaysLeft_R21_3(t *testing.T) {
	c := newCal(t)
	due, err := c.Due(date("2026-09-30"), 5) // end of 2026-10-13
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string, h, m int) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, Zone)
		return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	tests := []struct {
		name string
		now  time.Time
		want int
	}{
		{"acceptance day: the five days after it", at("2026-09-30", 15, 0), 5}, // Oct 8,9,10,12,13
		{"during the holiday", at("2026-10-03", 9, 0), 5},
		{"make-up Saturday", at("2026-10-10", 9, 0), 2}, // 12, 13
		{"day before the last", at("2026-10-12", 9, 0), 1},
		{"last day", at("2026-10-13", 9, 0), 0},
		{"last instant", due, 0},
		{"first instant after (Oct 14 00:00, a working day)", due.Add(time.Nanosecond), -1},
		{"next working day", at("2026-10-14", 8, 0), -1},
		{"a week later", at("2026-10-20", 8, 0), -5}, // 14,15,16,19,20
	}
	for _, tt := range tests {
		if got := c.WorkdaysLeft(tt.now, due); got != tt.want {
			t.Errorf("%s: WorkdaysLeft(%s) = %d, want %d", tt.name, tt.now.Format(time.RFC3339Nano), got, tt.want)
		}
	}
	// Overdue during a holiday right after the deadline: 0, not negative.
	due2, _ := c.Due(date("2026-09-29"), 1) // end of Sep 30
	if got := c.WorkdaysLeft(at("2026-10-02", 9, 0), due2); got != 0 || !Overdue(due2, at("2026-10-02", 9, 0)) {
		t.Errorf("WorkdaysLeft on Oct 2 after a Sep 30 deadline = %d, want 0 and overdue", got)
	}
	// Beyond the loaded years the weekday rule applies: Mon Jan 7 .. Thu Jan 10, 2030.
	if got := c.WorkdaysLeft(at("2030-01-07", 9, 0), at("2030-01-10", 23, 0)); got != 3 {
		t.Errorf("WorkdaysLeft in 2030 = %d, want 3", got)
	}
	// Spanning the end of the data: Mon Dec 27 2027 .. Tue Jan 4 2028 (weekday rule past 2027).
	if got := c.WorkdaysLeft(at("2027-12-27", 9, 0), at("2028-01-04", 23, 0)); got != 6 {
		t.Errorf("WorkdaysLeft across 2027/2028 = %d, want 6", got)
	}
	// Before the data: Mon Dec 30 2024 .. Thu Jan 2 2025 (Jan 1 a holiday).
	if got := c.WorkdaysLeft(at("2024-12-30", 9, 0), at("2025-01-02", 23, 0)); got != 2 {
		t.Errorf("WorkdaysLeft across 2024/2025 = %d, want 2", got)
	}
}

func TestOverdue_R21_3_DeadlineIsInclusive(t *testing.T) {
	c := newCal(t)
	due, err := c.Due(date("2026-09-30"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if Overdue(due, due) {
		t.Error("Overdue at the deadline's last instant")
	}
	if !Overdue(due, due.Add(time.Nanosecond)) {
		t.Error("not Overdue one nanosecond after the deadline")
	}
	// The next day starts at midnight Shanghai: 16:00 UTC on the due date.
	next := time.Date(due.Year(), due.Month(), due.Day(), 16, 0, 0, 0, time.UTC)
	if !Overdue(due, next) {
		t.Errorf("not Overdue at %s (midnight after the due day in Shanghai)", next)
	}
}

// Due and Add must never panic, whatever the instant or count (years far
// outside the table, negative ordinals), and a success is a working day
// strictly after the acceptance date.
func FuzzDue(f *testing.F) {
	f.Add(int64(1790000000), 5)
	f.Add(int64(-62135596800), 10)
	f.Add(int64(253402300799), -3)
	f.Add(int64(1735660800), 0)
	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sec int64, n int) {
		if sec < -62135596800 || sec > 253402300799 || n > 1000 || n < -1000 {
			return // outside years 1..9999 or absurd counts
		}
		at := time.Unix(sec, 0)
		_, _ = c.Add(at, n)
		_ = c.WorkdaysLeft(at, at.Add(240*time.Hour))
		due, err := c.Due(at, n)
		if err != nil {
			return
		}
		if !c.IsWorkday(due) || !due.After(at) {
			t.Fatalf("Due(%s, %d) = %s", at, n, due)
		}
	})
}

// On the day a clock of n working days starts, the countdown says n, the
// number `shuyu calendar due` counts: every day of the loaded years, working
// day or not, for n = 1..15 (R18.2, R21.1).
func TestWorkdaysLeft_R18_2_StartDayShowsN(t *testing.T) {
	c := newCal(t)
	for d := date("2026-01-01"); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		for n := 1; n <= 15; n++ {
			due, err := c.Due(d, n)
			if err != nil {
				continue // the clock would run into an unloaded year
			}
			start := d.Add(5 * time.Hour) // 15:00 on the start day
			if got := c.WorkdaysLeft(start, due); got != n {
				t.Fatalf("accepted %s, %d working days: WorkdaysLeft on the start day = %d", d.Format(time.DateOnly), n, got)
			}
			if got := c.WorkdaysLeft(due, due); got != 0 {
				t.Fatalf("accepted %s, %d: WorkdaysLeft on the due day = %d, want 0", d.Format(time.DateOnly), n, got)
			}
		}
	}
}
