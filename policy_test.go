package shuyu

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The policy is proved three ways (invariant 3):
//   - the foundation's powers against a statement of intent written here,
//     apart from policy.go (foundationIntent): who may manage accounts,
//     read the trail, run the system;
//   - every decision Authorize makes (role × action × place of the object
//     relative to the actor: itself, its colleague, its county, a party,
//     another tenant) against the golden file testdata/policy_matrix.txt,
//     so that every change of who may do what is a reviewed diff of that
//     file (`go test -run TestPolicyMatrix -update` rewrites it);
//   - the scope semantics (what ScopeOrg, ScopeCounty… reach) against
//     covers, written as data, for every row of Policy.

// place is where an object lies relative to the actor.
type place string

const (
	placeCollection place = "collection"   // the collection itself (list, create)
	placeSelf       place = "self"         // the actor's own object
	placeColleague  place = "colleague"    // owned by another user of the actor's org
	placeCounty     place = "same-region"  // another org in the actor's region
	placeSubRegion  place = "sub-region"   // another org in a county of a city actor's city
	placeParty      place = "party"        // another tenant's object the actor's org is party to
	placeForeign    place = "other-tenant" // another tenant's object, outside the actor's region
	placeFarCity    place = "other-city"   // another city altogether
)

// reach is the set of places a grant extends to.
type reach []place

var (
	reachAll    = reach{placeCollection, placeSelf, placeColleague, placeCounty, placeSubRegion, placeParty, placeForeign, placeFarCity}
	reachCounty = reach{placeCollection, placeSelf, placeColleague, placeCounty, placeSubRegion}
	reachOrg    = reach{placeCollection, placeSelf, placeColleague}
	reachSelf   = reach{placeSelf}
)

// covers says which Scope values an object in each place satisfies: the
// scope semantics written as data, not re-run from inScope.
// TestPolicy_R3_ScopeSemantics holds every row of Policy to it.
var covers = map[place][]Scope{
	placeCollection: {ScopeAny, ScopeOrg, ScopeCounty, ScopeParty},
	placeSelf:       {ScopeAny, ScopeOrg, ScopeCounty, ScopeSelf, ScopeParty},
	placeColleague:  {ScopeAny, ScopeOrg, ScopeCounty, ScopeParty},
	placeCounty:     {ScopeAny, ScopeCounty},
	placeSubRegion:  {ScopeAny, ScopeCounty},
	placeParty:      {ScopeAny, ScopeParty},
	placeForeign:    {ScopeAny},
	placeFarCity:    {ScopeAny},
}

type grant struct {
	roles   []Role
	actions []Action
	reach   reach
}

var adminRoles = []Role{RoleSysAdmin, RoleSecAdmin, RoleAuditAdmin}

// foundationIntent is what the foundation means to allow, read from the
// measures and MLPS level 3 (R29.1 三员分立, R30.1 regulators read the trail):
//   - the security administrator manages organizations, accounts and the
//     security settings everywhere, and reads no trail;
//   - the audit administrator reads, exports and verifies the trail, and
//     manages nothing;
//   - the system administrator runs the system (health, checkpoints) and
//     touches neither accounts nor the trail;
//   - regulators read, export and verify the trail and see every party;
//   - the authority and the operator see every party; a county authority
//     the parties of its county;
//   - every business account sees its own organization and colleagues;
//     every account sees itself; the system and audit administrators see
//     their own organization.
var foundationIntent = []grant{
	{[]Role{RoleSecAdmin}, []Action{ActOrgRead, ActOrgCreate, ActOrgUpdate, ActUserRead, ActUserCreate,
		ActUserUpdate, ActUserUnlock, ActUserResetPass, ActSecurityRead, ActSecurityWrite}, reachAll},
	{[]Role{RoleAuditAdmin}, []Action{ActAuditRead, ActAuditExport, ActAuditVerify}, reachAll},
	{[]Role{RoleRegulator}, []Action{ActAuditRead, ActAuditExport, ActAuditVerify}, reachAll},
	{[]Role{RoleSysAdmin}, []Action{ActSystemRead, ActSystemOperate}, reachAll},
	{[]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, []Action{ActOrgRead}, reachAll},
	{[]Role{RoleCountyAuthority}, []Action{ActOrgRead}, reachCounty},
	{businessRoles, []Action{ActOrgRead, ActUserRead}, reachOrg},
	{[]Role{RoleSysAdmin, RoleAuditAdmin}, []Action{ActOrgRead}, reachOrg},
	{Roles, []Action{ActUserRead}, reachSelf},
}

var foundationActions = []Action{ActOrgRead, ActOrgCreate, ActOrgUpdate, ActUserRead, ActUserCreate,
	ActUserUpdate, ActUserUnlock, ActUserResetPass, ActSecurityRead, ActSecurityWrite, ActAuditRead,
	ActAuditExport, ActAuditVerify, ActSystemRead, ActSystemOperate}

// selfService are powers every account has over itself and its own
// organization; they are not an administrator's power.
func selfService(r Rule) bool {
	return r.Action == ActUserRead && r.Scope == ScopeSelf || r.Action == ActOrgRead && r.Scope == ScopeOrg
}

// foundationIntends answers from foundationIntent for a foundation action.
func foundationIntends(role Role, act Action, p place) bool {
	for _, g := range foundationIntent {
		if slices.Contains(g.roles, role) && slices.Contains(g.actions, act) && slices.Contains(g.reach, p) {
			return true
		}
	}
	return false
}

// rowsGrant answers from the rows of Policy with the scope semantics of
// covers: what Authorize should decide given the rows, whatever they are.
func rowsGrant(role Role, act Action, p place) bool {
	for _, r := range Policy {
		if r.Role == role && r.Action == act && slices.Contains(covers[p], r.Scope) {
			return true
		}
	}
	return false
}

// policyHome is one home an actor of a role can have: city or county level.
type policyHome struct {
	region   string
	fixtures map[place]string // region of the object in each place
}

const policyFarCity = "640100" // 银川市: another city

func policyHomes(role Role) []policyHome {
	city := policyHome{RegionZhongwei, map[place]string{placeCounty: RegionZhongwei, placeSubRegion: RegionHaiyuan,
		placeParty: policyFarCity, placeForeign: policyFarCity, placeFarCity: policyFarCity}}
	county := policyHome{RegionHaiyuan, map[place]string{placeCounty: RegionHaiyuan,
		placeParty: RegionZhongning, placeForeign: RegionZhongning, placeFarCity: policyFarCity}}
	switch role {
	case RoleAuthority:
		return []policyHome{city}
	case RoleCountyAuthority:
		return []policyHome{county}
	}
	return []policyHome{city, county}
}

// policyResource builds the object of kind in place p for actor a.
func policyResource(a *Actor, h policyHome, kind string, p place) Resource {
	const otherOrg, otherUser = 9001, 9002
	switch p {
	case placeCollection:
		return Resource{Kind: kind}
	case placeSelf:
		return Resource{Kind: kind, OrgID: a.OrgID, Region: a.Region, OwnerID: a.UserID, Exists: true}
	case placeColleague:
		return Resource{Kind: kind, OrgID: a.OrgID, Region: a.Region, OwnerID: otherUser, Exists: true}
	case placeParty:
		return Resource{Kind: kind, OrgID: otherOrg, Region: h.fixtures[p], OwnerID: otherUser, Parties: []int64{otherOrg + 1, a.OrgID}, Exists: true}
	}
	return Resource{Kind: kind, OrgID: otherOrg, Region: h.fixtures[p], OwnerID: otherUser, Exists: true}
}

func policyKind(act Action) string { k, _, _ := strings.Cut(string(act), "."); return k }

// policyActions is every action in the table plus the foundation's, sorted.
func policyActions() []Action {
	set := map[Action]bool{}
	for _, r := range Policy {
		set[r.Action] = true
	}
	for _, a := range foundationActions {
		set[a] = true
	}
	out := make([]Action, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// policyDecision is one answer of Authorize in the matrix.
type policyDecision struct {
	role  Role
	home  string // "city" or "county"
	act   Action
	place place
	actor *Actor
	res   Resource
	code  string // "", EFORBIDDEN or ENOTFOUND
}

// policyDecisions asks Authorize about every role × home × action × place,
// in the order of the golden file: by action, then role, home and place.
func policyDecisions() []policyDecision {
	var out []policyDecision
	for _, act := range policyActions() {
		kind := policyKind(act)
		for _, role := range Roles {
			for hi, h := range policyHomes(role) {
				a := &Actor{UserID: 100 + int64(hi), Username: "u", Roles: []Role{role}, OrgID: 200, OrgKind: role.OrgKind(), Region: h.region}
				home := "city"
				if IsCounty(h.region) {
					home = "county"
				}
				for _, p := range reachAll {
					if p == placeSubRegion && IsCounty(h.region) {
						continue // a county has no sub-regions
					}
					res := policyResource(a, h, kind, p)
					out = append(out, policyDecision{role, home, act, p, a, res, ErrorCode(Authorize(a, act, res))})
				}
			}
		}
	}
	return out
}

// The foundation's decisions follow foundationIntent, and for every action
// a refusal is 404 exactly when the actor could not read the object there
// (another tenant's object looks absent), else 403.
func TestPolicy_R3_EveryRoleActionPlace(t *testing.T) {
	checked := 0
	for _, d := range policyDecisions() {
		if slices.Contains(foundationActions, d.act) {
			if allowed := d.code == ""; allowed != foundationIntends(d.role, d.act, d.place) {
				t.Errorf("%s (home %s) %s on %s object: got %q, the foundation's intent says allowed=%v",
					d.role, d.actor.Region, d.act, d.place, d.code, !allowed)
			}
		}
		if d.code != "" {
			want := EFORBIDDEN
			if d.res.Exists && !Can(d.actor, Action(policyKind(d.act)+".read"), d.res) {
				want = ENOTFOUND
			}
			if d.code != want {
				t.Errorf("%s (home %s) %s on %s object: refused with %q, want %q", d.role, d.actor.Region, d.act, d.place, d.code, want)
			}
		}
		checked++
	}
	t.Logf("%d decisions checked over %d actions", checked, len(policyActions()))
}

// Every row of Policy grants exactly the places its scope covers: Authorize
// agrees, for every role × action × place, with the rows read through
// covers. (This proves the scope semantics, not that a row is right: the
// golden matrix and its review do that.)
func TestPolicy_R3_ScopeSemantics(t *testing.T) {
	for _, d := range policyDecisions() {
		if slices.Contains(foundationActions, d.act) {
			continue // held to the intent above
		}
		if allowed := d.code == ""; allowed != rowsGrant(d.role, d.act, d.place) {
			t.Errorf("%s (home %s) %s on %s object: allowed=%v, but the rows with covers say %v",
				d.role, d.actor.Region, d.act, d.place, allowed, !allowed)
		}
	}
}

var updateGolden = flag.Bool("update", false, "rewrite testdata/policy_matrix.txt from Policy")

const policyMatrixFile = "testdata/policy_matrix.txt"

// policyMatrixColumns are the places in the order of the file's columns.
var policyMatrixColumns = []struct {
	p    place
	head string
}{
	{placeCollection, "coll"}, {placeSelf, "self"}, {placeColleague, "colg"}, {placeCounty, "regn"},
	{placeSubRegion, "sub"}, {placeParty, "party"}, {placeForeign, "other"}, {placeFarCity, "city"},
}

// policyMatrix renders every decision of Authorize, one line per action ×
// role × home (the actor's level: city or county), one column per place.
func policyMatrix() []byte {
	var b strings.Builder
	b.WriteString(`# The authorization matrix: what shuyu.Authorize answers for every role,
# action and place of the object relative to the actor (policy.go,
# policy_*.go). Generated; do not edit. After changing Policy, run
#   go test -run TestPolicyMatrix -update
# and review the diff of this file: it is the change of who may do what.
#
# home: the actor's organization is at city level (中卫市) or county level
# (海原县); the authority is city-level only, a county authority
# county-level only.
# Places (columns; policy_test.go builds an object in each):
#   coll   the collection itself (list, create)
#   self   the actor's own object
#   colg   a colleague's object: another user of the actor's organization
#   regn   another organization's object in the actor's own region
#   sub    an object in a county of the actor's city (city actors only)
#   party  another tenant's object the actor's organization is party to
#   other  another tenant's object outside the actor's region
#   city   an object in another city (银川市)
# Answers: ok (allowed), 403 (refused), 404 (refused, and the object looks
# absent), - (no such place for this home).
#
`)
	actW, roleW := len("# action"), len("role")
	for _, a := range policyActions() {
		actW = max(actW, len(a))
	}
	for _, r := range Roles {
		roleW = max(roleW, len(r))
	}
	row := func(cols ...string) {
		line := fmt.Sprintf("%-*s  %-*s  %-6s", actW, cols[0], roleW, cols[1], cols[2])
		for _, c := range cols[3:] {
			line += fmt.Sprintf(" %-5s", c)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	head := []string{"# action", "role", "home"}
	for _, c := range policyMatrixColumns {
		head = append(head, c.head)
	}
	row(head...)
	type lineKey struct {
		act  Action
		role Role
		home string
	}
	cells := map[lineKey]map[place]string{}
	var order []lineKey
	for _, d := range policyDecisions() {
		k := lineKey{d.act, d.role, d.home}
		if cells[k] == nil {
			cells[k] = map[place]string{}
			order = append(order, k)
		}
		cells[k][d.place] = map[string]string{"": "ok", EFORBIDDEN: "403", ENOTFOUND: "404"}[d.code]
	}
	for _, k := range order {
		line := []string{string(k.act), string(k.role), k.home}
		for _, c := range policyMatrixColumns {
			v, ok := cells[k][c.p]
			if !ok {
				v = "-"
			}
			line = append(line, v)
		}
		row(line...)
	}
	return []byte(b.String())
}

// The golden authorization matrix: Policy and testdata/policy_matrix.txt
// agree on every decision (invariant 3, R3). A change of Policy fails here
// until the file is regenerated with -update, so it shows in review.
func TestPolicyMatrix_R3_Golden(t *testing.T) {
	got := policyMatrix()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(policyMatrixFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(policyMatrixFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", policyMatrixFile)
		return
	}
	want, err := os.ReadFile(policyMatrixFile)
	if err != nil {
		t.Fatalf("%v (generate it: go test -run TestPolicyMatrix -update)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	inWant := map[string]bool{}
	for _, l := range wl {
		inWant[l] = true
	}
	inGot := map[string]bool{}
	for _, l := range gl {
		inGot[l] = true
	}
	shown := 0
	for _, l := range wl {
		if !inGot[l] && shown < 40 {
			t.Errorf("file: %s", l)
			shown++
		}
	}
	for _, l := range gl {
		if !inWant[l] && shown < 40 {
			t.Errorf("Policy: %s", l)
			shown++
		}
	}
	t.Fatalf("Policy and %s disagree (lines above; at most 40 shown). If the change of authorization is intended, run go test -run TestPolicyMatrix -update and have the diff of the file reviewed.", policyMatrixFile)
}

// Within a tenant the answer is "allowed" or 403; only objects the actor
// cannot read answer 404, and never the collection.
func TestPolicy_R3_OwnObjectsNeverNotFound(t *testing.T) {
	for _, role := range Roles {
		a := &Actor{UserID: 1, Roles: []Role{role}, OrgID: 2, Region: RegionZhongwei}
		for _, act := range policyActions() {
			kind := policyKind(act)
			if got := ErrorCode(Authorize(a, act, Resource{Kind: kind})); got == ENOTFOUND {
				t.Errorf("%s %s on the collection answered not found", role, act)
			}
			own := Resource{Kind: kind, OrgID: 2, Region: RegionZhongwei, OwnerID: 1, Exists: true}
			if got := ErrorCode(Authorize(a, act, own)); got == ENOTFOUND && Can(a, Action(kind+".read"), own) {
				t.Errorf("%s %s on a readable own object answered not found", role, act)
			}
		}
	}
}

// R29.1 三员分立: the administrators' powers do not overlap, and none of them
// holds a business action (anything outside its own administrative duty).
func TestPolicy_R29_1_AdminPowersSeparate(t *testing.T) {
	duty := map[Role][]string{ // action prefixes each administrator may hold
		RoleSysAdmin:   {"system."},
		RoleSecAdmin:   {"org.", "user.", "security."},
		RoleAuditAdmin: {"audit."},
	}
	holds := map[Role]map[Action]bool{}
	for _, r := range Policy {
		if !r.Role.IsAdmin() || selfService(r) {
			continue
		}
		if holds[r.Role] == nil {
			holds[r.Role] = map[Action]bool{}
		}
		holds[r.Role][r.Action] = true
		ok := false
		for _, p := range duty[r.Role] {
			ok = ok || strings.HasPrefix(string(r.Action), p)
		}
		if !ok {
			t.Errorf("%s holds %s (scope %d), outside its administrative duty", r.Role, r.Action, r.Scope)
		}
	}
	for i, x := range adminRoles {
		for _, y := range adminRoles[i+1:] {
			for act := range holds[x] {
				if holds[y][act] {
					t.Errorf("%s and %s both hold %s", x, y, act)
				}
			}
		}
	}
	// Each administrator holds what its duty needs, so the check above is not vacuous.
	for role, acts := range map[Role][]Action{
		RoleSysAdmin:   {ActSystemRead, ActSystemOperate},
		RoleSecAdmin:   {ActUserCreate, ActUserUpdate, ActSecurityWrite},
		RoleAuditAdmin: {ActAuditRead, ActAuditVerify},
	} {
		for _, act := range acts {
			if !holds[role][act] {
				t.Errorf("%s lacks %s", role, act)
			}
		}
	}
	// And no business role holds an administrator's account or trail powers.
	for _, r := range Policy {
		if r.Role.IsAdmin() {
			continue
		}
		// The regulator supervises the trail (R30.1) and may run the
		// integrity check: it only reads the trail (the run is recorded).
		if r.Role == RoleRegulator && r.Action == ActAuditVerify {
			continue
		}
		switch r.Action {
		case ActUserCreate, ActUserUpdate, ActUserUnlock, ActUserResetPass, ActSecurityWrite, ActSecurityRead,
			ActAuditVerify, ActSystemOperate, ActSystemRead, ActOrgCreate, ActOrgUpdate:
			t.Errorf("business role %s holds administrator action %s", r.Role, r.Action)
		}
	}
}

// Every row is well formed: a known role, an action "<kind>.<verb>", a scope.
func TestPolicy_R3_RowsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Policy {
		key := fmt.Sprint(r.Role, r.Action, r.Scope)
		if seen[key] {
			t.Errorf("duplicate row %s %s %d", r.Role, r.Action, r.Scope)
		}
		seen[key] = true
		if !r.Role.Valid() {
			t.Errorf("unknown role %q in row for %s", r.Role, r.Action)
		}
		if k, v, ok := strings.Cut(string(r.Action), "."); !ok || k == "" || v == "" {
			t.Errorf("action %q is not <kind>.<verb>", r.Action)
		}
		if r.Scope < ScopeAny || r.Scope > ScopeDelegated {
			t.Errorf("row %s %s has scope %d", r.Role, r.Action, r.Scope)
		}
	}
}

func TestPolicy_R3_NoActorAndSystem(t *testing.T) {
	for _, act := range policyActions() {
		if got := ErrorCode(Authorize(nil, act, Resource{})); got != EUNAUTHORIZED {
			t.Errorf("nil actor %s: %q", act, got)
		}
		res := Resource{Kind: policyKind(act), OrgID: 9, Region: policyFarCity, Exists: true}
		if err := Authorize(System, act, res); err != nil {
			t.Errorf("system actor refused %s: %v", act, err)
		}
	}
	// An actor with no role can do nothing, and sees nothing.
	none := &Actor{UserID: 5, OrgID: 6, Region: RegionZhongwei}
	for _, act := range policyActions() {
		if Can(none, act, Resource{Kind: policyKind(act)}) {
			t.Errorf("roleless actor may %s", act)
		}
	}
}

// R29.1: an administrator role is held alone, and every role fits the kind
// of its organization. All pairs of roles are tried.
func TestValidateRoles_R29_1_AllPairs(t *testing.T) {
	for _, kind := range OrgKinds {
		for _, x := range Roles {
			err := ValidateRoles(kind, []Role{x})
			if fits := x.OrgKind() == kind; fits != (err == nil) {
				t.Errorf("%s alone in a %s: err = %v", x, kind, err)
			}
			for _, y := range Roles {
				err := ValidateRoles(kind, []Role{x, y})
				ok := x != y && x.OrgKind() == kind && y.OrgKind() == kind && !x.IsAdmin() && !y.IsAdmin()
				if ok != (err == nil) {
					t.Errorf("%s + %s in a %s: err = %v", x, y, kind, err)
				}
				if err != nil && ErrorCode(err) != EINVALID {
					t.Errorf("%s + %s: code %q, want invalid", x, y, ErrorCode(err))
				}
			}
		}
	}
	if ErrorCode(ValidateRoles(OrgOperator, nil)) != EINVALID {
		t.Error("no roles accepted")
	}
}
