package outcheck

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"shuyu/ident"
)

func TestScanValue_R28_5_FindsWholeAndEmbedded(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	id := ident.GenCitizenID(r, "640502", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), false)
	badID := id[:17] + string("0123456789X"[(indexOf("0123456789X", id[17])+1)%11])
	card := ident.GenBankCard(r)
	uscc := ident.GenUSCC(r, "640500")
	mobile := ident.GenMobile(r)
	sum := sha256.Sum256([]byte(id))
	cases := []struct {
		v    string
		want uint8
	}{
		{id, bitCitizenID},
		{"  " + id + " ", bitCitizenID},
		{id[:17] + "x", bitCitizenID * uint8(boolInt(id[17] == 'X'))},
		{badID, 0},
		{"身份证号:" + id + "。", bitCitizenID},
		{"ID" + id, bitCitizenID},
		{mobile, bitMobile},
		{"张三 " + mobile, bitMobile | bitNameToken},
		{"联系人王芳,tel " + mobile[:3] + "-" + mobile[3:7] + "-" + mobile[7:], bitMobile},
		{"+86 " + mobile[:3] + " " + mobile[3:7] + " " + mobile[7:], bitMobile},
		{mobile[:3] + "****" + mobile[7:], 0}, // masked: desensitized (R28.5)
		{id[:6] + "********" + id[14:], 0},
		{"1" + mobile, 0}, // 12 digits: not a mobile number
		{card, bitBankCard},
		{"卡号 " + card + " 已注销", bitBankCard},
		{uscc, bitUSCC},
		{"统一社会信用代码:" + uscc, bitUSCC},
		{"zhang.san@example.com", bitEmail},
		{"请联系 zhang_san+x@mail.example.cn。", bitEmail},
		{"a@b", 0},
		{"王芳", bitNameWhole},
		{" 欧阳娜娜 ", bitNameWhole},
		{"马玉兰", bitNameWhole},
		{"海原县", 0},
		{"沙坡头区", 0},
		{"宣和镇", 0},
		{"中宁县", 0},
		{"人口基础信息", 0},
		{hex.EncodeToString(sum[:]), 0}, // judged by the reversibility check
		{"45678.12", 0},
		{"2025-06-16", 0},
		{"", 0},
	}
	for _, c := range cases {
		if got := scanValue(c.v); got != c.want {
			t.Errorf("scanValue(%q) = %07b, want %07b", c.v, got, c.want)
		}
	}
}

func indexOf(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestNormalize_R28_3_SpellingsOfOneValue(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		" 5.50 ":             "5.5",
		"5.000000":           "5",
		"5.":                 "5",
		"640502199001011234": "640502199001011234",
		"64050219900101123x": "64050219900101123X",
		"+86 138-0013-8000":  "13800138000",
		"沙坡头区":               "沙坡头区",
		"007":                "007", // codes keep their zeros
	}
	for in, want := range cases {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheck_R28_5_NameColumnWarnsAllowedKindWarns(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	// Names of people absent from the domain: only the scan can see them.
	names := []string{"王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄丽", "周杰", "吴娟", "徐涛", "孙艳"}
	r := rand.New(rand.NewPCG(2, 2))
	tb := Table{Name: "staff", Columns: []string{"staff", "company"}}
	for i := range 24 {
		tb.Rows = append(tb.Rows, []string{names[i%len(names)] + [...]string{"", "华", "明"}[i%3], ident.GenUSCC(r, "640500")})
	}
	rules := testRules
	rules.AllowKinds = []Kind{KindUSCC}
	rep, err := Check(t.Context(), &Product{ID: "p", Tables: []Table{tb}}, rules, d.idx)
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Check(CheckPersonalInfo)
	if res.Status != Warn || len(res.Findings) != 2 {
		t.Fatalf("personal info %s, findings %+v; want two warnings (names, allowed credit codes)", res.Status, res.Findings)
	}
	for _, f := range res.Findings {
		if f.Count != 24 {
			t.Errorf("finding %+v: want 24 values", f)
		}
	}
}
