package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"shuyu/sqlstore/sqltest"
)

// domainCountRows queries the entry's view on a locked connection, as the
// sandbox does for merchants' SQL.
func (h *domainHarness) domainCountRows(name string) (int64, error) {
	conn, err := h.vault.Locked(context.Background())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int64
	err = conn.QueryRowContext(context.Background(), `SELECT count(*) FROM `+name).Scan(&n)
	return n, err
}

func TestDomainSuspend_R27_3_QueriesStopAndResume(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := domainHarnessOn(t, env)
		id := h.entry("ZW-GA-0001", "dept-gongan", true)
		other := h.entry("HY-WJ-0001", "dept-haiyuan-weijian", true)
		ids := domainIDs(4)
		h.uploadOK("dept-gongan", id, "v1.csv", peopleCSV(ids, []string{"甲", "乙", "丙", "丁"}))
		h.uploadOK("dept-haiyuan-weijian", other, "v1.csv", peopleCSV(ids[:2], []string{"甲", "乙"}))
		if n, err := h.domainCountRows("zw_ga_0001"); err != nil || n != 4 {
			t.Fatalf("query before suspension: %d %v", n, err)
		}
		// Only the authority suspends, with a reason.
		h.call(h.token("operator-admin"), "POST", "/api/v1/domain/suspensions", map[string]any{"scope": "entry", "entry_id": id, "reason": "x"}, 403, nil)
		h.call(h.token("authority"), "POST", "/api/v1/domain/suspensions", map[string]any{"scope": "entry", "entry_id": id, "reason": ""}, 400, nil)
		var sus struct {
			ID     int64 `json:"id"`
			Active bool  `json:"active"`
		}
		h.call(h.token("authority"), "POST", "/api/v1/domain/suspensions",
			map[string]any{"scope": "dept", "org_id": h.actors["dept-gongan"].OrgID, "reason": "数据安全风险排查"}, 201, &sus)
		// At once: no query reads the data, and the error names no value.
		_, err := h.domainCountRows("zw_ga_0001")
		if err == nil {
			t.Fatal("a locked connection still reads a suspended entry")
		}
		if n, err := h.domainCountRows("hy_wj_0001"); err != nil || n != 2 {
			t.Fatalf("another department's entry was frozen too: %d %v", n, err)
		}
		// No new supply, no profile, no preview; new applications are
		// refused through EntrySuspended (the review chain's check).
		resp, data := h.upload("dept-gongan", id, "v2.csv", []byte(peopleCSV(ids, []string{"a", "b", "c", "d"})), "?wait=1")
		if resp.StatusCode != 409 || !strings.Contains(string(data), "暂停") {
			t.Fatalf("upload while suspended: %d %s", resp.StatusCode, data)
		}
		h.call(h.token("operator-admin"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/profile", id), nil, 409, nil)
		h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/preview", id), nil, 409, nil)
		if s, err := h.db.EntrySuspended(context.Background(), id); err != nil || !s {
			t.Fatalf("EntrySuspended = %v %v", s, err)
		}
		if s, _ := h.vault.Suspended(context.Background(), "zw_ga_0001"); !s {
			t.Fatal("vault does not know the suspension")
		}
		var mounts struct {
			Items []struct {
				Code      string `json:"code"`
				Suspended bool   `json:"suspended"`
			}
		}
		h.call(h.token("authority"), "GET", "/api/v1/domain/mounts", nil, 200, &mounts)
		if len(mounts.Items) != 2 || !mounts.Items[1].Suspended || mounts.Items[0].Suspended {
			t.Fatalf("mounts = %+v", mounts.Items)
		}
		// The department was told.
		var n int
		h.db.SQL().QueryRow(h.db.Rebind(`SELECT count(*) FROM notices WHERE kind = 'domain.suspended' AND org_id = ?`), h.actors["dept-gongan"].OrgID).Scan(&n)
		if n != 1 {
			t.Fatalf("department notices = %d", n)
		}
		// Resume after rectification: queries read the same version again.
		h.call(h.token("authority"), "POST", fmt.Sprintf("/api/v1/domain/suspensions/%d/resume", sus.ID), map[string]string{"reason": ""}, 400, nil)
		h.call(h.token("authority"), "POST", fmt.Sprintf("/api/v1/domain/suspensions/%d/resume", sus.ID), map[string]string{"reason": "已完成整改"}, 200, nil)
		if n, err := h.domainCountRows("zw_ga_0001"); err != nil || n != 4 {
			t.Fatalf("query after resume: %d %v", n, err)
		}
		h.uploadOK("dept-gongan", id, "v2.csv", peopleCSV(ids[:1], []string{"甲"}))
		if n, _ := h.domainCountRows("zw_ga_0001"); n != 1 {
			t.Fatalf("after a new version: %d rows", n)
		}
		// A platform-wide suspension freezes every entry.
		h.call(h.token("authority"), "POST", "/api/v1/domain/suspensions", map[string]any{"scope": "platform", "reason": "等保整改"}, 201, nil)
		for _, name := range []string{"zw_ga_0001", "hy_wj_0001"} {
			if _, err := h.domainCountRows(name); err == nil {
				t.Errorf("%s readable under a platform suspension", name)
			}
		}
		var list struct{ Items []map[string]any }
		h.call(h.token("dept-haiyuan-weijian"), "GET", "/api/v1/domain/suspensions?active=1", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0]["scope"] != "platform" {
			t.Fatalf("dept sees suspensions %v", list.Items)
		}
		h.call(h.token("merchant-a"), "GET", "/api/v1/domain/suspensions", nil, 403, nil)
	})
}

// At start-up a job a crash left loading is marked failed (the vault already
// dropped its half table, so the previous version stays current), and the
// vault's suspensions and views are made to agree with the store (R10.1,
// R27.3).
func TestDomainStartup_R10_1_R27_3_RecoversJobsAndResyncs(t *testing.T) {
	t.Parallel()
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0001", "dept-gongan", true)
	h.uploadOK("dept-gongan", id, "v1.csv", peopleCSV(domainIDs(3), []string{"甲", "乙", "丙"}))
	ctx := context.Background()
	// A supply the crash interrupted: started, never finished.
	_, job, err := h.db.StartSupply(ctx, h.actors["dept-gongan"], "domain_entry.supply", id, sqlstoreSupply("v2.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// A suspension recorded while the vault did not follow (e.g. a crash
	// between the commit and the vault call).
	sus, err := h.db.Suspend(ctx, h.actors["authority"], sqlstoreSuspend(id))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := h.domainCountRows("zw_ga_0001"); err != nil || n != 3 {
		t.Fatalf("before start-up: %d %v", n, err)
	}
	if err := h.srvv.DomainStartup(ctx); err != nil {
		t.Fatal(err)
	}
	j := h.waitJob("dept-gongan", job.ID)
	if j["status"] != "failed" || j["error_message"] == "" {
		t.Fatalf("interrupted job = %v", j)
	}
	if _, err := h.domainCountRows("zw_ga_0001"); err == nil {
		t.Fatal("start-up did not freeze the suspended entry")
	}
	if _, err := h.db.Resume(ctx, h.actors["authority"], sus.ID, "已整改"); err != nil {
		t.Fatal(err)
	}
	if err := h.srvv.DomainStartup(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := h.domainCountRows("zw_ga_0001"); err != nil || n != 3 {
		t.Fatalf("after resumption and start-up: %d %v (the previous version must be intact)", n, err)
	}
}
