package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// countingLog wraps a ReleaseLog and counts calls, as a persistent store would see them.
type countingLog struct {
	ReleaseLog
	loads, appends int
}

func (l *countingLog) Load(ctx context.Context, id string) ([]ReleaseEntry, error) {
	l.loads++
	return l.ReleaseLog.Load(ctx, id)
}

func (l *countingLog) Append(ctx context.Context, id string, e []ReleaseEntry) error {
	l.appends++
	return l.ReleaseLog.Append(ctx, id, e)
}

// The differencing record outlives the engine: a new engine over the same
// log (a restart, or another server process) still catches the second half
// of a differencing attack (R28.3).
func TestReleaseLogSurvivesEngine_R28_3(t *testing.T) {
	f := newFixture(t)
	log := &countingLog{ReleaseLog: NewMemoryReleaseLog()}
	f.eng.Releases = log
	d := rareBirth(f)
	r1 := f.run(t, "SELECT county, count(*) AS n FROM people WHERE birth_date < '1980-01-01' GROUP BY county")
	if r1.Status != Released || len(r1.Rows) != 3 {
		t.Fatalf("first: %s %v", r1.Status, r1.Reasons)
	}
	if log.loads != 1 || log.appends != 1 {
		t.Errorf("loads %d appends %d", log.loads, log.appends)
	}
	entries, _ := log.Load(f.ctx, f.ws.ID)
	if len(entries) != 1 || len(entries[0].Cells) != 3 || !entries[0].At.Equal(refDate) || entries[0].SQLHash != r1.Shape.SQLHash {
		t.Fatalf("entries %+v", entries)
	}
	// The record holds counts and digests, never a group's values.
	b, _ := json.Marshal(entries)
	for _, v := range []string{"640502", "640521", "640522", "1980"} {
		if strings.Contains(string(b), v) {
			t.Errorf("release record carries %q: %s", v, b)
		}
	}

	restarted := NewEngine(func() time.Time { return refDate })
	restarted.Releases = log
	r2, err := restarted.Run(f.ctx, f.conn, f.ws, fmt.Sprintf(
		"SELECT county, count(*) AS n FROM people WHERE birth_date < '1980-01-01' AND birth_date <> '%s' GROUP BY county", d))
	if err != nil {
		t.Fatal(err)
	}
	if !hasReason(r2, "differencing") || len(r2.Rows) >= len(r1.Rows) {
		t.Fatalf("restarted engine released %v (%v)", r2.Rows, r2.Reasons)
	}
	// Another workspace has its own record.
	other := *f.ws
	other.ID = "w2"
	r3, err := restarted.Run(f.ctx, f.conn, &other, fmt.Sprintf(
		"SELECT county, count(*) AS n FROM people WHERE birth_date < '1980-01-01' AND birth_date <> '%s' GROUP BY county", d))
	if err != nil || r3.Status != Released || len(r3.Rows) != 3 {
		t.Fatalf("other workspace: %v %v %v", err, r3.Rows, r3.Reasons)
	}
}

// A failing store stops the release: nothing is shown that was not recorded.
func TestReleaseLogFailureReleasesNothing_R28_3(t *testing.T) {
	f := newFixture(t)
	f.eng.Releases = failingLog{}
	res, err := f.eng.Run(f.ctx, f.conn, f.ws, "SELECT county, count(*) AS n FROM people GROUP BY county")
	if err == nil || res != nil {
		t.Fatalf("released without a record: %+v", res)
	}
}

type failingLog struct{}

func (failingLog) Load(context.Context, string) ([]ReleaseEntry, error) { return nil, nil }
func (failingLog) Append(context.Context, string, []ReleaseEntry) error {
	return fmt.Errorf("disk full")
}
