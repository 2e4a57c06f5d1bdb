package dataservice

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace"
	"shuyu/workspace/wstest"
)

// world is a domain with population, enterprise and social-insurance data,
// a workspace of merchant-a over them, and two filed services: enterprise
// verification (no consent) and a consent-gated personal service.
type world struct {
	f        *wstest.Fixture
	svc      *Service
	ver      *DemoVerifier
	ws       *shuyu.Workspace
	ent, per *shuyu.APIService
}

var ctx = context.Background()

func enterpriseService(wsID int64) shuyu.APIServiceInput {
	return shuyu.APIServiceInput{WorkspaceID: wsID, Name: "企业信息核验", Description: "核验企业名称与统一社会信用代码是否一致及登记状态",
		Scenario: "供应链准入核验", QuotaDay: 1000, SubjectDay: 5,
		Template: shuyu.ServiceTemplate{
			Params:  []shuyu.ServiceParam{{Name: "uscc", Kind: shuyu.ParamUSCC}, {Name: "name", Kind: shuyu.ParamOrgName}},
			Subject: "uscc",
			Outputs: []shuyu.ServiceOutput{
				{Name: "name_match", Kind: shuyu.OutputMatch, Table: wstest.EnterpriseTable, Column: "name", Param: "name"},
				{Name: "status_band", Kind: shuyu.OutputCategory, Table: wstest.EnterpriseTable, Column: "status",
					Groups: []shuyu.CategoryGroup{{Label: "正常", Values: []string{"存续"}}, {Label: "异常", Values: []string{"注销", "吊销"}}}},
			}}}
}

func personalService(wsID int64) shuyu.APIServiceInput {
	return shuyu.APIServiceInput{WorkspaceID: wsID, Name: "社保缴费月数分档", Description: "经本人授权，核验姓名并返回社保缴费月数分档",
		Scenario: "普惠金融贷前核验", Consent: true, QuotaDay: 1000, SubjectDay: 5,
		Template: shuyu.ServiceTemplate{
			Params:  []shuyu.ServiceParam{{Name: "id_number", Kind: shuyu.ParamCitizenID}, {Name: "name", Kind: shuyu.ParamPersonName}},
			Subject: "id_number",
			Outputs: []shuyu.ServiceOutput{
				{Name: "name_match", Kind: shuyu.OutputMatch, Table: wstest.PopulationTable, Column: "name", Param: "name"},
				{Name: "months_band", Kind: shuyu.OutputBand, Table: wstest.InsuranceTable, Column: "month", Measure: shuyu.MeasureCountDistinct,
					Bounds: []float64{1, 12, 36, 60}, Labels: []string{"0个月", "1至11个月", "12至35个月", "36至59个月", "60个月及以上"}},
			}}}
}

func newWorld(t *testing.T, backend string) *world {
	t.Helper()
	f := wstest.New(t, backend, 300)
	f.AddEntry(t, wstest.EnterpriseCode, wstest.EnterpriseTable, "enterprise", "企业登记信息", shuyu.GradeGeneral, 200)
	f.AddEntry(t, wstest.InsuranceCode, wstest.InsuranceTable, "social_insurance", "社会保险缴费", shuyu.GradeImportant, 3000)
	ws, err := f.DB.OpenWorkspace(ctx, f.Actors["operator-admin"], shuyu.WorkspaceGrant{
		OrgID: f.Actors["merchant-a"].OrgID, Name: "核验服务", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
		Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}, {EntryCode: wstest.EnterpriseCode}, {EntryCode: wstest.InsuranceCode}}})
	if err != nil {
		t.Fatal(err)
	}
	wsvc := workspace.New(f.DB, f.Vault, "", f.Clock.Now)
	ver := &DemoVerifier{Now: f.Clock.Now}
	w := &world{f: f, svc: New(f.DB, f.Vault, wsvc, ver, f.Clock.Now), ver: ver, ws: ws}
	w.ent = w.file(t, enterpriseService(ws.ID))
	w.per = w.file(t, personalService(ws.ID))
	return w
}

// file defines, checks and files a service as merchant-a and the authority.
func (w *world) file(t *testing.T, in shuyu.APIServiceInput) *shuyu.APIService {
	t.Helper()
	s, err := w.svc.Define(ctx, w.f.Actors["merchant-a"], in)
	if err != nil {
		t.Fatalf("define %s: %v", in.Name, err)
	}
	if s, err = w.svc.Request(ctx, w.f.Actors["merchant-a"], s.ID); err != nil || s.Status != shuyu.ServiceChecked {
		t.Fatalf("check %s: %v %+v %s", in.Name, err, s, s.CheckReport)
	}
	if s, err = w.f.DB.FileService(ctx, w.f.Actors["authority"], s.ID, ""); err != nil || s.Status != shuyu.ServiceFiled {
		t.Fatalf("file %s: %v", in.Name, err)
	}
	return s
}

func (w *world) key(t *testing.T, who string, s *shuyu.APIService) string {
	t.Helper()
	k, err := w.f.DB.IssueServiceKey(ctx, w.f.Actors[who], s.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

// column returns the values of col of table's raw rows, in order.
func (w *world) column(t *testing.T, table, col string) []string {
	t.Helper()
	rows := w.f.Raw[table]
	for i, h := range rows[0] {
		if h == col {
			var out []string
			for _, r := range rows[1:] {
				out = append(out, r[i])
			}
			return out
		}
	}
	t.Fatalf("no column %s in %s", col, table)
	return nil
}

func (w *world) calls(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.f.DB.SQL().QueryRow(`SELECT count(*) FROM api_calls`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func code(err error) string { return shuyu.ErrorCode(err) }

func TestService_R28_4_AnswersOnlyTheFiledSchema(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		key := w.key(t, "merchant-b", w.ent)
		usccs, names, statuses := w.column(t, wstest.EnterpriseTable, "uscc"), w.column(t, wstest.EnterpriseTable, "name"), w.column(t, wstest.EnterpriseTable, "status")
		raw := w.f.RawValues(wstest.EnterpriseTable, "uscc", "name", "legal_rep", "registered_capital", "status", "address", "employees")
		for i := range 6 {
			want := map[string]string{"存续": "正常", "注销": "异常", "吊销": "异常"}[statuses[i]]
			a, err := w.svc.Call(ctx, key, w.ent.ID, map[string]string{"uscc": usccs[i], "name": names[i]})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Answer) != 2 || a.Answer["name_match"] != true || a.Answer["status_band"] != want {
				t.Fatalf("enterprise %d: answer %v, want match and %s", i, a.Answer, want)
			}
			a, err = w.svc.Call(ctx, key, w.ent.ID, map[string]string{"uscc": usccs[i], "name": names[i+1]})
			if err != nil {
				t.Fatal(err)
			}
			if a.Answer["name_match"] != false {
				t.Fatalf("a wrong name matched: %v", a.Answer)
			}
			js, _ := json.Marshal(a)
			var top map[string]json.RawMessage
			_ = json.Unmarshal(js, &top)
			var fields map[string]any
			_ = json.Unmarshal(top["answer"], &fields)
			for k := range fields {
				if k != "name_match" && k != "status_band" {
					t.Fatalf("answer field %q is not in the filed schema", k)
				}
			}
			for v := range raw {
				if len(v) > 1 && bytes.Contains(top["answer"], []byte(v)) {
					t.Fatalf("answer %s contains the raw value %q", js, v)
				}
			}
		}
	})
}

func TestService_R28_4_BadParametersRefusedBeforeAnything(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		key := w.key(t, "merchant-b", w.ent)
		usccs := w.column(t, wstest.EnterpriseTable, "uscc")
		bad := usccs[0][:17] + string(otherCheck(usccs[0][17]))
		before := w.calls(t)
		for _, params := range []map[string]string{
			{"uscc": bad, "name": "某公司"},
			{"uscc": usccs[0]},
			{"uscc": usccs[0], "name": "某公司", "extra": "x"},
		} {
			// Even with no valid key the answer is 400: the parameters are
			// checked before the key, the quota or the engine.
			for _, k := range []string{key, "sy_bad"} {
				if _, err := w.svc.Call(ctx, k, w.ent.ID, params); code(err) != shuyu.EINVALID {
					t.Fatalf("params %v key %q: %v, want invalid", params, k[:6], err)
				}
			}
		}
		if after := w.calls(t); after != before {
			t.Fatalf("bad calls were recorded: %d → %d", before, after)
		}
		if _, err := w.svc.Call(ctx, "sy_0000000000000000_"+strings.Repeat("0", 48), w.ent.ID, map[string]string{"uscc": usccs[0], "name": "某公司"}); code(err) != shuyu.EUNAUTHORIZED {
			t.Fatalf("unknown key: %v", err)
		}
	})
}

// otherCheck is a check character different from c.
func otherCheck(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

func TestService_R28_4_TemplateRules(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		m := w.f.Actors["merchant-a"]
		in := personalService(w.ws.ID)
		// Matching a sensitive column would let guesses read it.
		in.Template.Outputs[0].Column, in.Template.Outputs[0].Table = "base", wstest.InsuranceTable
		if _, err := w.svc.Define(ctx, m, in); code(err) != shuyu.EINVALID {
			t.Fatalf("match on a sensitive column: %v", err)
		}
		in = personalService(w.ws.ID)
		in.Template.Outputs[1].Measure, in.Template.Outputs[1].Column = shuyu.MeasureValue, "employer_uscc"
		if _, err := w.svc.Define(ctx, m, in); code(err) != shuyu.EINVALID {
			t.Fatalf("band of an identifier: %v", err)
		}
		// A personal service without consent fails the output check.
		in = personalService(w.ws.ID)
		in.Consent = false
		s, err := w.svc.Define(ctx, m, in)
		if err != nil {
			t.Fatal(err)
		}
		if s, err = w.svc.Request(ctx, m, s.ID); err != nil || s.Status != shuyu.ServiceCheckFailed || !strings.Contains(string(s.CheckReport), `"consent"`) {
			t.Fatalf("check of a personal service without consent: %v %+v", err, s)
		}
		if _, err := w.f.DB.FileService(ctx, w.f.Actors["authority"], s.ID, ""); code(err) != shuyu.ECONFLICT {
			t.Fatalf("filing a failed service: %v", err)
		}
		// Another merchant cannot define a service in merchant-a's workspace.
		if _, err := w.svc.Define(ctx, w.f.Actors["merchant-b"], enterpriseService(w.ws.ID)); code(err) != shuyu.ENOTFOUND {
			t.Fatalf("merchant-b in merchant-a's workspace: %v", err)
		}
		// Only filed services are offered keys; the list is public.
		if _, err := w.f.DB.IssueServiceKey(ctx, w.f.Actors["merchant-b"], s.ID, ""); code(err) != shuyu.ENOTFOUND {
			t.Fatalf("key for an unfiled service: %v", err)
		}
		pub, err := w.f.DB.PublicServices(ctx)
		if err != nil || len(pub) != 2 {
			t.Fatalf("public services: %v %d", err, len(pub))
		}
	})
}

func TestService_R28_4_QuotaSubjectLimitAndRate(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		in := enterpriseService(w.ws.ID)
		in.Name, in.QuotaDay, in.SubjectDay = "企业核验（小额度）", 4, 2
		s := w.file(t, in)
		key := w.key(t, "merchant-b", s)
		usccs, names := w.column(t, wstest.EnterpriseTable, "uscc"), w.column(t, wstest.EnterpriseTable, "name")
		call := func(i int) error {
			_, err := w.svc.Call(ctx, key, s.ID, map[string]string{"uscc": usccs[i], "name": names[i]})
			return err
		}
		for _, i := range []int{0, 0} {
			if err := call(i); err != nil {
				t.Fatal(err)
			}
		}
		if err := call(0); code(err) != shuyu.ETHROTTLED {
			t.Fatalf("third call about one subject: %v, want throttled", err)
		}
		for _, i := range []int{1, 2} {
			if err := call(i); err != nil {
				t.Fatal(err)
			}
		}
		if err := call(3); code(err) != shuyu.ETHROTTLED {
			t.Fatalf("fifth call of a 4-call quota: %v, want throttled", err)
		}
		// Another consumer's key has its own quota.
		if _, err := w.svc.Call(ctx, w.key(t, "merchant-a", s), s.ID, map[string]string{"uscc": usccs[3], "name": names[3]}); err != nil {
			t.Fatal(err)
		}
		// The next day the quota is fresh.
		w.f.Clock.Advance(24 * time.Hour)
		if err := call(3); err != nil {
			t.Fatalf("next day: %v", err)
		}
	})
}

// sequentialIDs are valid citizen IDs sharing region and birth date, as an
// enumerating caller would walk them.
func sequentialIDs(n int) []string {
	var out []string
	for i := 1; len(out) < n; i++ {
		body := fmt.Sprintf("64050219850302%03d", i)
		c, _ := ident.CitizenIDCheckChar(body)
		out = append(out, body+string(c))
	}
	return out
}

func TestService_R28_4_EnumerationFlaggedAndBlocked(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		key := w.key(t, "merchant-b", w.per)
		for i, id := range sequentialIDs(shuyu.FlagPrefixSubjects) {
			// No consent: each probe is refused, but it is a probe all the same.
			if _, err := w.svc.Call(ctx, key, w.per.ID, map[string]string{"id_number": id, "name": "张三"}); code(err) != shuyu.EFORBIDDEN {
				t.Fatalf("probe %d: %v", i, err)
			}
		}
		op := w.f.Actors["operator-admin"]
		flags, err := w.f.DB.ServiceFlags(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		var enum *shuyu.ServiceFlag
		for i := range flags {
			if flags[i].Kind == shuyu.FlagEnumeration {
				enum = &flags[i]
			}
		}
		if enum == nil || enum.Status != "open" || enum.ServiceID != w.per.ID {
			t.Fatalf("no open enumeration flag: %+v", flags)
		}
		if _, err := w.f.DB.ServiceFlags(ctx, w.f.Actors["merchant-b"]); code(err) != shuyu.EFORBIDDEN {
			t.Fatalf("a merchant reads the flags: %v", err)
		}
		if _, err := w.f.DB.DecideServiceFlag(ctx, op, enum.ID, "block", "枚举身份证号"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Call(ctx, key, w.per.ID, map[string]string{"id_number": sequentialIDs(30)[25], "name": "张三"}); code(err) != shuyu.EFORBIDDEN ||
			!strings.Contains(shuyu.ErrorMessage(err), "停用") {
			t.Fatalf("blocked key: %v", err)
		}
		// Scattered subjects under different prefixes raise no enumeration flag.
		key2 := w.key(t, "merchant-a", w.ent)
		usccs, names := w.column(t, wstest.EnterpriseTable, "uscc"), w.column(t, wstest.EnterpriseTable, "name")
		for i := range 25 {
			if _, err := w.svc.Call(ctx, key2, w.ent.ID, map[string]string{"uscc": usccs[i], "name": names[i]}); err != nil {
				t.Fatal(err)
			}
		}
		flags, _ = w.f.DB.ServiceFlags(ctx, op)
		for _, f := range flags {
			if f.ServiceID == w.ent.ID {
				t.Fatalf("honest calls flagged: %+v", f)
			}
		}
	})
}

func TestService_R27_3_SuspendedSourceStopsService(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		key := w.key(t, "merchant-b", w.ent)
		params := map[string]string{"uscc": w.column(t, wstest.EnterpriseTable, "uscc")[0], "name": "某公司"}
		if _, err := w.svc.Call(ctx, key, w.ent.ID, params); err != nil {
			t.Fatal(err)
		}
		s, err := w.f.DB.Suspend(ctx, w.f.Actors["authority"], sqlstore.SuspendInput{Scope: sqlstore.SuspendEntry,
			EntryID: w.f.Entries[wstest.EnterpriseCode], Reason: "数据质量问题暂停供应"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Call(ctx, key, w.ent.ID, params); code(err) != shuyu.ECONFLICT {
			t.Fatalf("call while the source is suspended: %v", err)
		}
		if svc, _ := w.f.DB.ServiceFor(ctx, w.f.Actors["merchant-a"], shuyu.ActServiceRead, w.ent.ID); svc.Status != shuyu.ServiceSuspended {
			t.Fatalf("status %s", svc.Status)
		}
		// The personal service reads other entries and keeps answering.
		if _, err := w.f.DB.Resume(ctx, w.f.Actors["authority"], s.ID, "已整改恢复供应"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Call(ctx, key, w.ent.ID, params); err != nil {
			t.Fatalf("after resuming: %v", err)
		}
	})
}

// person returns the citizen ID and name of a synthetic person with
// social-insurance records.
func (w *world) person(t *testing.T, i int) (string, string) {
	t.Helper()
	ids := w.column(t, wstest.InsuranceTable, "id_number")
	pids, pnames := w.column(t, wstest.PopulationTable, "id_number"), w.column(t, wstest.PopulationTable, "name")
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if len(seen) <= i {
			continue
		}
		for j, p := range pids {
			if p == id {
				return id, pnames[j]
			}
		}
	}
	t.Fatal("no insured person in the population")
	return "", ""
}

func TestConsent_R28_5_GrantGatesUseRevocationStopsSubjectSeesUses(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		bank := w.f.Actors["merchant-b"]
		key := w.key(t, "merchant-b", w.per)
		id, name := w.person(t, 0)
		params := map[string]string{"id_number": id, "name": name}
		// Without a live grant: refused, nothing about the subject.
		if a, err := w.svc.Call(ctx, key, w.per.ID, params); code(err) != shuyu.EFORBIDDEN || a != nil {
			t.Fatalf("call without consent: %v %v", a, err)
		}
		sub := Subject{Kind: shuyu.SubjectPerson, ID: id, Name: name, Mobile: "13995512345"}
		c, err := w.svc.RequestConsent(ctx, bank, ConsentAsk{Subject: sub, ServiceID: w.per.ID, Purpose: "个人经营贷款贷前核验",
			Fields: []string{"姓名", "社保缴费月数分档"}, Days: 90})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(c)
		if c.Status != shuyu.ConsentPending || bytes.Contains(js, []byte(id)) || bytes.Contains(js, []byte(w.ver.Last("confirm"))) {
			t.Fatalf("pending consent shows the ID or the code to the merchant: %s", js)
		}
		// Still no grant until the subject confirms; a wrong code changes nothing.
		if _, err := w.svc.Call(ctx, key, w.per.ID, params); code(err) != shuyu.EFORBIDDEN {
			t.Fatalf("pending consent opened the gate: %v", err)
		}
		if _, err := w.f.DB.ConfirmConsent(ctx, c.ID, "000000x"); code(err) != shuyu.EINVALID {
			t.Fatalf("wrong code: %v", err)
		}
		if c, err = w.f.DB.ConfirmConsent(ctx, c.ID, w.ver.Last("confirm")); err != nil || c.Status != shuyu.ConsentLive {
			t.Fatalf("confirm: %v %+v", err, c)
		}
		a, err := w.svc.Call(ctx, key, w.per.ID, params)
		if err != nil || a.Answer["name_match"] != true || a.Answer["months_band"] == shuyu.NoRecord {
			t.Fatalf("call with consent: %v %+v", err, a)
		}
		// The grant is the bank's: another consumer's key is still refused.
		if _, err := w.svc.Call(ctx, w.key(t, "merchant-a", w.per), w.per.ID, params); code(err) != shuyu.EFORBIDDEN {
			t.Fatalf("another consumer used the bank's grant: %v", err)
		}
		// The subject proves itself and sees every use: two refused, one answered by the bank, one refused for merchant-a
		ch, err := w.svc.StartLookup(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		token, err := w.svc.VerifyLookup(ctx, ch, w.ver.Last("lookup"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.f.DB.SubjectConsents(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if v.Total != 4 || len(v.Uses) != 4 || len(v.Consents) != 1 || v.Consents[0].Uses != 1 {
			t.Fatalf("subject view: total %d uses %d consents %+v", v.Total, len(v.Uses), v.Consents)
		}
		// Revocation stops the next call.
		if _, err := w.f.DB.RevokeConsent(ctx, token, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Call(ctx, key, w.per.ID, params); code(err) != shuyu.EFORBIDDEN {
			t.Fatalf("call after revocation: %v", err)
		}
		// Another subject's session cannot see or revoke this grant.
		other, oname := w.person(t, 1)
		ch, _ = w.svc.StartLookup(ctx, Subject{Kind: shuyu.SubjectPerson, ID: other, Name: oname, Mobile: "13995500000"})
		tok2, err := w.svc.VerifyLookup(ctx, ch, w.ver.Last("lookup"))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := w.f.DB.SubjectConsents(ctx, tok2); len(v.Consents) != 0 || v.Total != 0 {
			t.Fatalf("another subject sees %+v", v)
		}
		if _, err := w.f.DB.RevokeConsent(ctx, tok2, c.ID); code(err) != shuyu.ENOTFOUND {
			t.Fatalf("another subject revoked: %v", err)
		}
		if _, err := w.f.DB.SubjectConsents(ctx, "forged"); code(err) != shuyu.EUNAUTHORIZED {
			t.Fatalf("forged session: %v", err)
		}
		// The consent chain verifies: request, confirm, revoke.
		if n, err := w.f.DB.VerifyConsentChain(ctx, [][]byte{w.f.DB.PublicKey()}); err != nil || n != 3 {
			t.Fatalf("consent chain: %d %v", n, err)
		}
	})
}

func TestService_R28_4_KeysAndSubjectsNeverStoredInClear(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		key := w.key(t, "merchant-b", w.ent)
		uscc, name := w.column(t, wstest.EnterpriseTable, "uscc")[5], w.column(t, wstest.EnterpriseTable, "name")[5]
		if _, err := w.svc.Call(ctx, key, w.ent.ID, map[string]string{"uscc": uscc, "name": name}); err != nil {
			t.Fatal(err)
		}
		secret := key[strings.LastIndex(key, "_")+1:]
		needles := map[string]string{"key secret": secret, "credit code": uscc}
		var hay []byte
		if b == "sqlite" {
			files, _ := filepath.Glob(filepath.Join(w.f.DB.DataDir(), "*"))
			for _, f := range files {
				if data, err := os.ReadFile(f); err == nil {
					hay = append(hay, data...)
				}
			}
			if len(hay) == 0 {
				t.Fatal("no database files read")
			}
		} else {
			for _, q := range []string{`SELECT string_agg(t::text, '|') FROM api_keys t`, `SELECT string_agg(t::text, '|') FROM api_calls t`,
				`SELECT string_agg(t::text, '|') FROM audit_events t`, `SELECT string_agg(t::text, '|') FROM api_subject_days t`} {
				var s string
				if err := w.f.DB.SQL().QueryRow(q).Scan(&s); err != nil {
					t.Fatal(err)
				}
				hay = append(hay, s...)
			}
		}
		for what, n := range needles {
			if bytes.Contains(hay, []byte(n)) {
				t.Fatalf("the %s is stored in clear", what)
			}
		}
	})
}
