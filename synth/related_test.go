package synth

import (
	"math"
	"strings"
	"testing"

	"shuyu/ident"
)

func TestEnterprise_R6_1_CreditCodesValidAndUnique(t *testing.T) {
	t.Parallel()
	h, rows := readCSV(t, "enterprise", 20_000, 7)
	uscc, name, county, status := colIndex(t, h, "uscc"), colIndex(t, h, "name"), colIndex(t, h, "county_code"), colIndex(t, h, "status")
	seen := map[string]bool{}
	statuses := map[string]int{}
	for k, r := range rows {
		if !ident.ValidUSCC(r[uscc]) || !ident.ValidOrgCode(r[uscc][8:17]) {
			t.Fatalf("row %d: invalid credit code %q", k, r[uscc])
		}
		if r[uscc][2:8] != r[county] {
			t.Fatalf("row %d: credit code %s not registered in county %s", k, r[uscc], r[county])
		}
		if seen[r[uscc]] {
			t.Fatalf("row %d: duplicate credit code %s", k, r[uscc])
		}
		seen[r[uscc]] = true
		if !strings.HasSuffix(r[name], "公司") && !strings.HasSuffix(r[name], "合作社") {
			t.Errorf("row %d: odd company name %q", k, r[name])
		}
		statuses[r[status]]++
	}
	if len(statuses) != 3 || statuses["存续"] < len(rows)/2 {
		t.Errorf("statuses %v: want mostly 存续 plus 注销 and 吊销", statuses)
	}
}

func TestSocialInsurance_R6_1_JoinsPopulationAndEmployers(t *testing.T) {
	t.Parallel()
	const n = 20_000
	_, pop := readCSV(t, "population", n, 9)
	_, ents := readCSV(t, "enterprise", EmployerPool, 9)
	ids, usccs := map[string]bool{}, map[string]bool{}
	for _, r := range pop {
		ids[r[0]] = true
	}
	for _, r := range ents {
		usccs[r[0]] = true
	}
	h, rows := readCSV(t, "social_insurance", n, 9)
	id, emp, typ := colIndex(t, h, "id_number"), colIndex(t, h, "employer_uscc"), colIndex(t, h, "insurance_type")
	base, personal := colIndex(t, h, "base"), colIndex(t, h, "personal")
	employed := 0
	for k, r := range rows {
		if !ids[r[id]] {
			t.Fatalf("row %d: id_number %s not in population", k, r[id])
		}
		if r[emp] != "" {
			employed++
			if !usccs[r[emp]] {
				t.Fatalf("row %d: employer %s not in enterprise", k, r[emp])
			}
		}
		if r[typ] == "养老" && r[emp] != "" {
			want := float64(parseFen(t, r[base])) * 0.08
			if got := float64(parseFen(t, r[personal])); math.Abs(got-want) > 1 {
				t.Fatalf("row %d: personal pension %v, want 8%% of base %v", k, r[personal], r[base])
			}
		}
	}
	if employed == 0 {
		t.Error("no employee contributions at all")
	}
}

func TestMedicalSettlement_R6_1_AmountsConsistentAndJoin(t *testing.T) {
	t.Parallel()
	const n = 5000
	_, pop := readCSV(t, "population", n, 4)
	ids := map[string]bool{}
	for _, r := range pop {
		ids[r[0]] = true
	}
	h, rows := readCSV(t, "medical_settlement", n, 4)
	sid, id := colIndex(t, h, "settlement_id"), colIndex(t, h, "id_number")
	total, fund, self := colIndex(t, h, "total_amount"), colIndex(t, h, "fund_paid"), colIndex(t, h, "self_paid")
	seen := map[string]bool{}
	for k, r := range rows {
		if !ids[r[id]] {
			t.Fatalf("row %d: patient %s not in population", k, r[id])
		}
		if seen[r[sid]] {
			t.Fatalf("row %d: duplicate settlement %s", k, r[sid])
		}
		seen[r[sid]] = true
		tf, ff, sf := parseFen(t, r[total]), parseFen(t, r[fund]), parseFen(t, r[self])
		if tf != ff+sf || ff < 0 || sf < 0 {
			t.Fatalf("row %d: total %s != fund %s + self %s", k, r[total], r[fund], r[self])
		}
	}
}

func TestBusRides_R6_1_FaresFollowCardType(t *testing.T) {
	t.Parallel()
	h, rows := readCSV(t, "bus_rides", 5000, 2)
	typ, fare := colIndex(t, h, "card_type"), colIndex(t, h, "fare")
	types := map[string]int{}
	for k, r := range rows {
		types[r[typ]]++
		f := parseFen(t, r[fare])
		switch r[typ] {
		case "老年":
			if f != 0 {
				t.Fatalf("row %d: senior paid %s", k, r[fare])
			}
		case "普通":
			if f != 100 && f != 200 {
				t.Fatalf("row %d: ordinary fare %s", k, r[fare])
			}
		case "学生":
			if f != 50 && f != 100 {
				t.Fatalf("row %d: student fare %s", k, r[fare])
			}
		default:
			t.Fatalf("row %d: unknown card type %q", k, r[typ])
		}
	}
	if types["普通"] == 0 || types["老年"]+types["学生"] == 0 {
		t.Errorf("card types %v", types)
	}
}
