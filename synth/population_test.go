package synth

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// readCSV generates a dataset through WriteCSV and parses it back, as a
// loader would.
func readCSV(t testing.TB, name string, n int, seed uint64) (header []string, rows [][]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, name, n, seed, testNow); err != nil {
		t.Fatalf("WriteCSV(%s): %v", name, err)
	}
	all, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	if len(all) != n+1 {
		t.Fatalf("%s: got %d lines, want header + %d", name, len(all), n)
	}
	return all[0], all[1:]
}

func colIndex(t testing.TB, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

func TestPopulation_R6_1_IdentifiersValidateAndMatch(t *testing.T) {
	t.Parallel()
	h, rows := readCSV(t, "population", 20_000, 7)
	id, birth, county, gender, phone := colIndex(t, h, "id_number"), colIndex(t, h, "birth_date"),
		colIndex(t, h, "county_code"), colIndex(t, h, "gender"), colIndex(t, h, "phone")
	ids, phones := map[string]bool{}, map[string]bool{}
	for k, r := range rows {
		if !ident.ValidCitizenIDAt(r[id], testNow) {
			t.Fatalf("row %d: invalid ID %q", k, r[id])
		}
		region, b, male, err := ident.CitizenIDInfo(r[id])
		if err != nil {
			t.Fatal(err)
		}
		if region != r[county] || b.Format(time.DateOnly) != r[birth] || male != (r[gender] == "男") {
			t.Fatalf("row %d: ID %s disagrees with county %s, birth %s, gender %s", k, r[id], r[county], r[birth], r[gender])
		}
		if ids[r[id]] {
			t.Fatalf("row %d: duplicate ID %s", k, r[id])
		}
		ids[r[id]] = true
		if r[phone] != "" {
			if !ident.ValidMobile(r[phone]) || len(r[phone]) != 11 {
				t.Fatalf("row %d: invalid phone %q", k, r[phone])
			}
			if phones[r[phone]] {
				t.Fatalf("row %d: duplicate phone %s", k, r[phone])
			}
			phones[r[phone]] = true
		}
	}
	if len(phones) < len(rows)*7/10 {
		t.Errorf("only %d of %d people have a phone", len(phones), len(rows))
	}
}

// People sharing a sequence number (same i mod idSeqSlots) are the case the
// stratified construction must keep apart.
func TestPersonAt_R6_1_SameSequenceStillUniqueIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for q := 0; q < idStrata; q++ {
		i := 123 + q*idSeqSlots
		p := PersonAt(99, i, testNow)
		if j, dup := seen[p.IDNumber]; dup {
			t.Fatalf("persons %d and %d share ID %s", j, i, p.IDNumber)
		}
		seen[p.IDNumber] = i
	}
}

func TestPersonCell_R6_1_CellsNarrowerThanMargin(t *testing.T) {
	t.Parallel()
	worst := 0.0
	for ci := range Counties {
		p := pyramidOf(ci)
		for b := range p.vals {
			_, days := bandDays(b)
			cell := countyPick.share(ci) * max(maleShare, 1-maleShare) * p.share(b) / float64(days)
			worst = max(worst, cell)
		}
	}
	if worst >= idMargin {
		t.Fatalf("largest (county, sex, day) cell %.3g >= margin %.3g: IDs could repeat", worst, idMargin)
	}
}

func TestPersonAt_R6_1_AddressableByIndex(t *testing.T) {
	t.Parallel()
	_, rows := readCSV(t, "population", 500, 3)
	for _, i := range []int{0, 1, 250, 499} {
		p := PersonAt(3, i, testNow)
		if rows[i][0] != p.IDNumber || rows[i][1] != p.Name || rows[i][8] != p.Address {
			t.Fatalf("row %d = %v, PersonAt = %+v", i, rows[i], p)
		}
	}
}

func TestPopulation_R6_1_Distributions(t *testing.T) {
	t.Parallel()
	h, rows := readCSV(t, "population", 20_000, 11)
	county, eth, birth := colIndex(t, h, "county_code"), colIndex(t, h, "ethnicity"), colIndex(t, h, "birth_date")
	n := float64(len(rows))
	count, hui, old := map[string]float64{}, map[string]float64{}, 0.0
	for _, r := range rows {
		count[r[county]]++
		if r[eth] == "回族" {
			hui[r[county]]++
		}
		b, _ := time.Parse(time.DateOnly, r[birth])
		if yearsBetween(b, today(testNow)) >= 60 {
			old++
		}
	}
	for code, want := range map[string]float64{"640502": 0.40, "640521": 0.35, "640522": 0.25} {
		if got := count[code] / n; math.Abs(got-want) > 0.02 {
			t.Errorf("county %s share %.3f, want %.2f±0.02", code, got, want)
		}
	}
	if s := hui["640522"] / count["640522"]; s < 0.6 {
		t.Errorf("Haiyuan Hui share %.2f, want a majority", s)
	}
	if s := hui["640521"] / count["640521"]; s > 0.1 {
		t.Errorf("Zhongning Hui share %.2f, want a small minority", s)
	}
	if s := old / n; s < 0.12 || s > 0.22 {
		t.Errorf("share aged 60+ is %.3f, want 0.12..0.22", s)
	}
}

func TestWriteCSV_R6_1_Deterministic(t *testing.T) {
	t.Parallel()
	for _, d := range Datasets() {
		var a, b, c bytes.Buffer
		for _, x := range []struct {
			buf  *bytes.Buffer
			seed uint64
		}{{&a, 5}, {&b, 5}, {&c, 6}} {
			if err := WriteCSV(x.buf, d.Name, 2000, x.seed, testNow); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: same seed gave different bytes", d.Name)
		}
		if bytes.Equal(a.Bytes(), c.Bytes()) {
			t.Errorf("%s: different seeds gave the same bytes", d.Name)
		}
		if first, _, _ := strings.Cut(a.String(), "\n"); first != strings.Join(d.ColumnNames(), ",") {
			t.Errorf("%s: header %q", d.Name, first)
		}
	}
}

func TestWriteCSV_R6_1_BadArguments(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := WriteCSV(&buf, "nope", 10, 1, testNow)
	if shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		t.Errorf("unknown dataset: %v", err)
	}
	err = WriteCSV(&buf, "population", MaxPopulation+1, 1, testNow)
	var e *shuyu.Error
	if !errors.As(err, &e) || e.Code != shuyu.EINVALID {
		t.Errorf("too many rows: %v", err)
	}
	if _, err := Rows("enterprise", -1, 1, testNow); shuyu.ErrorCode(err) != shuyu.EINVALID {
		t.Errorf("negative rows: %v", err)
	}
}

func TestDatasets_R28_5_PersonalColumnsFlagged(t *testing.T) {
	t.Parallel()
	for _, d := range Datasets() {
		for _, c := range d.Columns {
			if (c.Kind == "id_number" || c.Kind == "phone") && !c.PI {
				t.Errorf("%s.%s holds personal information but is not flagged", d.Name, c.Name)
			}
			if c.Kind == "id_number" && !c.SensitivePI {
				t.Errorf("%s.%s: ID numbers are sensitive personal information", d.Name, c.Name)
			}
			if c.Label == "" || c.Type == "" {
				t.Errorf("%s.%s lacks a label or type", d.Name, c.Name)
			}
		}
	}
}

func parseFen(t testing.TB, s string) int64 {
	t.Helper()
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return int64(math.Round(x * 100))
}
