package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// Tenant isolation over HTTP (invariant 3): every seeded account reads and
// changes users and organizations of its own tenant and of others. Objects
// it cannot see answer 404 exactly as a missing one does; objects it sees
// but may not change answer 403; the rest succeed. The expectation is a
// statement of intent written here, not a call into the policy.

// tenantSeesAllOrgs are the roles that see every party (the authority, the
// operator, regulators and the security administrator).
var tenantSeesAllOrgs = []shuyu.Role{shuyu.RoleSecAdmin, shuyu.RoleAuthority, shuyu.RoleOperatorAdmin,
	shuyu.RoleOperatorReviewer, shuyu.RoleRegulator}

type tenantTarget struct {
	label  string
	userID int64
	orgID  int64
	region string
}

func tenantIntent(a *shuyu.Actor, tg tenantTarget) (readUser, writeUser, readOrg, writeOrg bool) {
	role := a.Roles[0]
	sec := role == shuyu.RoleSecAdmin
	sameOrg := tg.orgID == a.OrgID
	readUser = sec || tg.userID == a.UserID || sameOrg && !role.IsAdmin()
	readOrg = slices.Contains(tenantSeesAllOrgs, role) || sameOrg ||
		role == shuyu.RoleCountyAuthority && tg.region == a.Region
	return readUser, sec, readOrg, sec
}

func TestTenant_R3_UsersAndOrgsOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, tenantRun)
}

func tenantRun(t *testing.T, env *sqltest.Env) {
	h := harnessOn(t, env)
	ctx := t.Context()
	// A colleague in every organization, so "own tenant" is not only "self".
	regionOf := map[int64]string{}
	colleague := map[int64]int64{}
	for _, a := range h.actors {
		regionOf[a.OrgID] = a.Region
		if colleague[a.OrgID] != 0 {
			continue
		}
		role := shuyu.RoleOperatorReviewer
		for _, r := range shuyu.Roles {
			if r.OrgKind() == a.OrgKind && !r.IsAdmin() {
				role = r
				break
			}
		}
		u, err := h.db.CreateUser(ctx, shuyu.System, sqlstore.NewUser{OrgID: a.OrgID, Username: fmt.Sprintf("colleague-%d", a.OrgID),
			DisplayName: "同事", Roles: []shuyu.Role{role}, Password: "Colleague-pass-9"})
		if err != nil {
			t.Fatal(err)
		}
		colleague[a.OrgID] = u.ID
	}
	others := []string{"dept-gongan", "dept-haiyuan-weijian", "merchant-a"} // city, Haiyuan county, Shapotou county
	names := make([]string, 0, len(h.actors))
	for n := range h.actors {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		h.token(n)
	}
	before, _ := h.db.LastSeq(ctx)
	writes, checked := 0, 0
	for _, n := range names {
		a := h.actors[n]
		tok := h.token(n)
		targets := []tenantTarget{
			{"self", a.UserID, a.OrgID, a.Region},
			{"colleague", colleague[a.OrgID], a.OrgID, a.Region},
		}
		for _, o := range others {
			if oa := h.actors[o]; oa.OrgID != a.OrgID {
				targets = append(targets, tenantTarget{"user " + o, oa.UserID, oa.OrgID, oa.Region})
			}
		}
		for _, tg := range targets {
			readUser, writeUser, readOrg, writeOrg := tenantIntent(a, tg)
			want := func(read, write bool, ok int) int {
				switch {
				case write:
					return ok
				case read:
					return 403
				}
				return 404
			}
			calls := []struct {
				method, path string
				body         any
				want         int
			}{
				{"GET", fmt.Sprintf("/api/v1/users/%d", tg.userID), nil, want(readUser, readUser, 200)},
				{"PATCH", fmt.Sprintf("/api/v1/users/%d", tg.userID), map[string]any{"display_name": "改名 " + n}, want(readUser, writeUser, 200)},
				{"POST", fmt.Sprintf("/api/v1/users/%d/unlock", tg.userID), map[string]any{"reason": "测试"}, want(readUser, writeUser, 204)},
				{"GET", fmt.Sprintf("/api/v1/orgs/%d", tg.orgID), nil, want(readOrg, readOrg, 200)},
				{"POST", fmt.Sprintf("/api/v1/orgs/%d/status", tg.orgID), map[string]any{"status": "active", "reason": "测试"}, want(readOrg, writeOrg, 204)},
			}
			for _, c := range calls {
				resp, data := h.do(tok, c.method, c.path, c.body)
				checked++
				if resp.StatusCode != c.want {
					t.Errorf("%s (%s) %s %s [%s]: %d, want %d: %s", n, a.Roles[0], c.method, c.path, tg.label, resp.StatusCode, c.want, data)
					continue
				}
				switch {
				case c.want >= 400:
					code := errCode(t, data)
					if c.want == 404 && code != shuyu.ENOTFOUND || c.want == 403 && code != shuyu.EFORBIDDEN {
						t.Errorf("%s %s %s: status %d with code %q", n, c.method, c.path, c.want, code)
					}
				case c.method != "GET":
					writes++
				}
			}
		}
	}
	// Refusals changed nothing: the trail grew by exactly the allowed writes.
	after, _ := h.db.LastSeq(ctx)
	if int(after-before) != writes {
		t.Errorf("trail grew by %d events for %d allowed writes", after-before, writes)
	}
	t.Logf("%d calls by %d accounts checked; %d allowed writes", checked, len(names), writes)
}

// Another tenant's object is indistinguishable from a missing one: same
// status, same code, same message (no enumeration of ids).
func TestTenant_R3_NotFoundLooksAbsent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	tok := h.token("merchant-b")
	for _, kind := range []string{"users", "orgs"} {
		id := h.actors["merchant-a"].UserID
		if kind == "orgs" {
			id = h.actors["merchant-a"].OrgID
		}
		_, hidden := h.do(tok, "GET", fmt.Sprintf("/api/v1/%s/%d", kind, id), nil)
		_, missing := h.do(tok, "GET", fmt.Sprintf("/api/v1/%s/%d", kind, 987654), nil)
		var x, y errorBody
		if json.Unmarshal(hidden, &x) != nil || json.Unmarshal(missing, &y) != nil {
			t.Fatalf("%s: bodies %s / %s", kind, hidden, missing)
		}
		if x.Error.Code != shuyu.ENOTFOUND || x.Error.Code != y.Error.Code || x.Error.Message != y.Error.Message {
			t.Errorf("%s: another tenant's object answers %+v, a missing one %+v", kind, x.Error, y.Error)
		}
	}
}
