package workday

import (
	"testing"
	"time"
)

// benchInstants are acceptance times spread over 2025-01 .. 2027-11, like
// the open reviews a deadline sweep walks.
func benchInstants() []time.Time {
	start := time.Date(2025, 1, 1, 9, 30, 0, 0, Zone)
	out := make([]time.Time, 1024)
	for i := range out {
		out[i] = start.Add(time.Duration(i*1031) * time.Minute) // ~2 years in all
	}
	return out
}

// baselineDue is the naive 10-working-day deadline the table replaces: a
// time.AddDate loop that knows weekends only.
func baselineDue(accepted time.Time, n int) time.Time {
	d := accepted.In(Zone)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 23, 59, 59, 999_999_999, Zone)
}

var sinkTime time.Time

// BenchmarkDue measures a 10-working-day deadline (R21.1). After the timed
// loop it runs the AddDate baseline the same number of times and reports
// x_baseline = Due's time / baseline's time (below 1: Due is faster).
func BenchmarkDue(b *testing.B) {
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	in := benchInstants()
	i := 0
	for b.Loop() {
		sinkTime, err = c.Due(in[i&1023], 10)
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	dueTime := b.Elapsed()
	start := time.Now()
	for k := range i {
		sinkTime = baselineDue(in[k&1023], 10)
	}
	baseTime := time.Since(start)
	b.ReportMetric(float64(baseTime.Nanoseconds())/float64(i), "baseline_ns/op")
	b.ReportMetric(float64(dueTime)/float64(baseTime), "x_baseline")
}

// BenchmarkDueBaseline is the AddDate loop alone, for benchstat comparisons.
func BenchmarkDueBaseline(b *testing.B) {
	in := benchInstants()
	i := 0
	for b.Loop() {
		sinkTime = baselineDue(in[i&1023], 10)
		i++
	}
}

// BenchmarkOverdueSweep compares 100,000 stored deadlines with now, as the
// sweep does once deadlines are computed at acceptance.
func BenchmarkOverdueSweep(b *testing.B) {
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	in := benchInstants()
	dues := make([]time.Time, 100_000)
	for i := range dues {
		if dues[i], err = c.Due(in[i&1023], 10); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, Zone)
	for b.Loop() {
		n := 0
		for _, d := range dues {
			if Overdue(d, now) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no overdue deadline")
		}
	}
}
