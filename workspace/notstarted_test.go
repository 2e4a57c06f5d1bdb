package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace/wstest"
)

// TestWorkspace_R14_1_NotStartedUntilTermStarts: a workspace whose term
// starts tomorrow reads as not started (never active) with the start in
// its reason, and refuses real and simulated queries saying when it opens;
// once the clock reaches the start it takes queries.
func TestWorkspace_R14_1_NotStartedUntilTermStarts(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		ctx := context.Background()
		start := wstest.Now.Add(24 * time.Hour)
		ws, err := e.DB.OpenWorkspace(ctx, e.Actors["operator-admin"], shuyu.WorkspaceGrant{OrgID: e.m.OrgID,
			Name: "下月开始的工作区", StartsAt: start, EndsAt: start.AddDate(0, 6, 0),
			Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode, Fields: []string{"county", "gender"}}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.DB.Workspace(ctx, e.m, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		day := start.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
		if got.Status != shuyu.WorkspaceNotStarted || !strings.Contains(got.StatusReason, day) {
			t.Fatalf("status %s (%s), want not started from %s", got.Status, got.StatusReason, day)
		}
		for _, data := range []string{shuyu.DataReal, shuyu.DataSimulated} {
			_, err := e.svc.Query(ctx, e.m, ws.ID, "SELECT county, count(*) FROM "+got.Grants[0].Table+" GROUP BY county", data)
			if shuyu.ErrorCode(err) != shuyu.ECONFLICT || !strings.Contains(shuyu.ErrorMessage(err), "尚不能查询") || !strings.Contains(shuyu.ErrorMessage(err), day) {
				t.Fatalf("%s query before the start: %v", data, err)
			}
		}
		e.Clock.Set(start)
		if got, _ = e.DB.Workspace(ctx, e.m, ws.ID); got.Status != shuyu.WorkspaceActive {
			t.Fatalf("at the start: %s", got.Status)
		}
	})
}
