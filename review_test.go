package shuyu

import (
	"strings"
	"testing"
	"time"
)

// TestReview_R21_2_Machines enumerates the transition tables: every
// allowed move, and refusals (ECONFLICT) for the ones the issue names.
func TestReview_R21_2_Machines(t *testing.T) {
	for _, c := range []struct {
		m              Machine
		from, ev, want string
	}{
		{ReviewMachine, ReviewOpen, "approve", ReviewApproved},
		{ReviewMachine, ReviewOpen, "deem", ReviewDeemed},
		{ReviewMachine, ReviewApproved, "reject", ""}, // a second decision
		{ReviewMachine, ReviewDeemed, "approve", ""},
		{ApplicationMachine, AppChecking, "pass", AppReviewing},
		{ApplicationMachine, AppRejected, "resubmit", AppChecking},
		{ApplicationMachine, AppApproved, "resubmit", ""},
		{RegistrationMachine, RegSubmitted, "register", ""}, // accept first: the clock must start (R18.2)
		{RegistrationMachine, RegMoreMaterial, "supplement", RegAccepted},
		{AgreementMachine, AgrPending, "sign_operator", ""}, // the merchant signs first
		{AgreementMachine, AgrEffective, "expire", AgrExpired},
		{DocumentMachine, DocApproved, "approve", ""},
	} {
		got, err := c.m.Next(c.from, c.ev)
		if c.want == "" {
			if ErrorCode(err) != ECONFLICT || !strings.Contains(ErrorMessage(err), c.m.Name) {
				t.Errorf("%s %s --%s--> %q %v, want conflict", c.m.Name, c.from, c.ev, got, err)
			}
		} else if got != c.want || err != nil {
			t.Errorf("%s %s --%s--> %q %v, want %s", c.m.Name, c.from, c.ev, got, err, c.want)
		}
	}
}

func TestReview_R21_2_RejectionNeedsReasons(t *testing.T) {
	if ErrorCode(Decision{Approve: false, Reason: " "}.Validate()) != EINVALID {
		t.Fatal("rejection without reasons accepted")
	}
	if (Decision{Approve: true}).Validate() != nil || (Decision{Reason: "数据过于敏感"}).Validate() != nil {
		t.Fatal("valid decisions refused")
	}
	if ErrorCode(Extension{Days: 0, Reason: "需要时间核实"}.Validate()) != EINVALID || ErrorCode(Extension{Days: 11, Reason: "需要时间核实"}.Validate()) != EINVALID {
		t.Fatal("extension days unchecked")
	}
}

func TestReview_R24_2_FeeModeFromPurpose(t *testing.T) {
	if FeeMode(PurposeIndustry) != FeePaid || FeeMode(PurposeWelfare) != FeeFree || FeeMode(PurposeGovernance) != FeeFree {
		t.Fatal("fee modes")
	}
}

func TestReview_R34_1_ApplicationTerm(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, cst)
	in := ApplicationInput{Title: "测试申请名称", Scenario: "一个足够长的应用场景描述。", Purpose: PurposeIndustry, Method: "api",
		TermStart: "2026-11-25", TermEnd: "2029-11-25", Security: "足够长的安全措施描述。", Items: []ItemRequest{{EntryID: 1, Fields: []string{"a"}}}}
	if _, _, err := in.Validate(now); err != nil {
		t.Fatalf("three years exactly: %v", err)
	}
	in.TermEnd = "2029-11-26"
	if _, _, err := in.Validate(now); ErrorCode(err) != EINVALID {
		t.Fatal("term over three years accepted")
	}
}

func TestReview_R19_1_CanonicalText(t *testing.T) {
	var cs []Clause
	for _, k := range ClauseKeys {
		cs = append(cs, Clause{Key: k, Text: "条款 {{merchant}}  \r\n第二行 "})
	}
	if errs := ValidateClauses(cs); len(errs) != 0 {
		t.Fatal(errs)
	}
	if errs := ValidateClauses(cs[:9]); len(errs) == 0 {
		t.Fatal("nine clauses accepted")
	}
	f := AgreementFacts{Number: "SY-1", Merchant: "甲公司", Operator: "运营公司"}
	a, b := RenderAgreement("协议", cs, f), RenderAgreement("协议", cs, f)
	if a != b || strings.Contains(a, "\r") || strings.Contains(a, " \n") || !strings.Contains(a, "第十条 违约责任") {
		t.Fatalf("canonical text:\n%s", a)
	}
}
