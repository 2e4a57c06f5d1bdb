package sqlstore

import (
	"fmt"
	"time"
)

// pullZone is the zone of pull windows: departments' front-end databases
// are quiet at night in China Standard Time (fixed, no tzdata needed).
var pullZone = time.FixedZone("CST", 8*3600)

// PullWindow is the daily time window, in minutes after midnight China
// Standard Time, in which scheduled pulls of a source may start (the
// department's front-end database is quiet then).
type PullWindow struct{ Start, End int }

// ParseWindow reads "HH:MM" bounds; start must come before end.
func ParseWindow(start, end string) (PullWindow, error) {
	var w PullWindow
	for i, s := range []string{start, end} {
		t, err := time.Parse("15:04", s)
		if err != nil {
			return w, fmt.Errorf("window %q: %w", s, err)
		}
		m := t.Hour()*60 + t.Minute()
		if i == 0 {
			w.Start = m
		} else {
			w.End = m
		}
	}
	if w.End <= w.Start {
		if end == "24:00" || end == "00:00" {
			w.End = 24 * 60
		} else {
			return w, fmt.Errorf("window %s-%s: start must come before end", start, end)
		}
	}
	return w, nil
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// String is "HH:MM-HH:MM".
func (w PullWindow) String() string { return hhmm(w.Start) + "-" + hhmm(w.End) }

// Contains reports whether t falls inside the window.
func (w PullWindow) Contains(t time.Time) bool {
	l := t.In(pullZone)
	m := l.Hour()*60 + l.Minute()
	return m >= w.Start && m < w.End
}

// startOn is the window's start on t's day (local).
func (w PullWindow) startOn(t time.Time) time.Time {
	l := t.In(pullZone)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, pullZone).Add(time.Duration(w.Start) * time.Minute)
}

// endOf is the end of the window that contains or last preceded t.
func (w PullWindow) endOf(t time.Time) time.Time {
	s := w.startOn(t)
	if s.After(t) {
		s = s.AddDate(0, 0, -1)
	}
	return s.Add(time.Duration(w.End-w.Start) * time.Minute)
}

// nextStart is the first window start strictly after t.
func (w PullWindow) nextStart(t time.Time) time.Time {
	s := w.startOn(t)
	if !s.After(t) {
		s = s.AddDate(0, 0, 1)
	}
	return s
}

// NextPull is when a source of an entry updated at freq is next pulled
// (R10.2), given its last successful pull (nil: never) and now: the
// window's start on the day one period after the last pull, or the next
// window start if that has passed. Real-time entries are pulled hourly,
// day and night. Irregular entries have no schedule (ok false): they are
// pulled by "run now".
func NextPull(freq string, w PullWindow, last *time.Time, now time.Time) (time.Time, bool) {
	if freq == "realtime" {
		if last == nil {
			return now, true
		}
		t := last.Add(time.Hour)
		if t.Before(now) {
			t = now
		}
		return t, true
	}
	if last == nil {
		if freq == "irregular" || freq == "" {
			return time.Time{}, false
		}
		return w.nextStart(now), true
	}
	l := last.In(pullZone)
	var day time.Time
	switch freq {
	case "daily":
		day = l.AddDate(0, 0, 1)
	case "weekly":
		day = l.AddDate(0, 0, 7)
	case "monthly":
		day = l.AddDate(0, 1, 0)
	case "quarterly":
		day = l.AddDate(0, 3, 0)
	case "yearly":
		day = l.AddDate(1, 0, 0)
	default:
		return time.Time{}, false
	}
	t := w.startOn(day)
	if t.Before(now) {
		t = w.nextStart(now)
	}
	return t, true
}

// PullRetries is how many times a failed scheduled pull is retried, and
// pullBackoff the wait before retry n (1-based): 2, 8, 32 minutes.
const PullRetries = 3

func pullBackoff(n int) time.Duration { return 2 * time.Minute << (2 * (n - 1)) }
