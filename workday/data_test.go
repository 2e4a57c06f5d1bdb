package workday

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/6tail/lunar-go/HolidayUtil"
)

//go:generate go test -run TestHolidaysFile_R21_1_MatchesLunarGo -update .

var update = flag.Bool("update", false, "regenerate holidays.json from lunar-go")

// generatedYears are the years holidays.json is generated for. When the
// State Council publishes a new year, add it here and run go generate, or
// have the authority append the days by hand (the cross-check then covers
// every year lunar-go also knows).
var generatedYears = []int{2025, 2026, 2027}

const fileNote = "中国法定节假日与调休上班日（国务院办公厅通知）。kind: holiday 放假, workday 调休上班。" +
	"每年11月公布次年安排后，由主管部门追加该年全部日期（须含1月1日元旦）。" +
	"Official holidays and make-up working days; generated from github.com/6tail/lunar-go, extend yearly."

func lunarDays(year int) []Day {
	var out []Day
	l := HolidayUtil.GetHolidaysByYear(year)
	for e := l.Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		k := Holiday
		if h.IsWork() {
			k = Workday
		}
		out = append(out, Day{Date: h.GetDay(), Kind: k, Name: h.GetName()})
	}
	return out
}

// encodeFile writes one day per line so that a diff of next year's
// additions reads like the State Council notice.
func encodeFile(f File) []byte {
	var b bytes.Buffer
	note, _ := json.Marshal(f.Note)
	fmt.Fprintf(&b, "{\n  \"note\": %s,\n  \"days\": [\n", note)
	for i, d := range f.Days {
		line, _ := json.Marshal(d)
		sep := ","
		if i == len(f.Days)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    %s%s\n", line, sep)
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}

// TestHolidaysFile_R21_1_MatchesLunarGo cross-checks the embedded schedule
// against lunar-go for every year both know, and with -update regenerates it.
func TestHolidaysFile_R21_1_MatchesLunarGo(t *testing.T) {
	if *update {
		f := File{Note: fileNote}
		for _, y := range generatedYears {
			f.Days = append(f.Days, lunarDays(y)...)
		}
		// Keep years the authority appended by hand that lunar-go lacks.
		var old File
		if err := json.Unmarshal(embedded, &old); err != nil {
			t.Fatal(err)
		}
		for _, d := range old.Days {
			if y := d.Date[:min(4, len(d.Date))]; !slices.ContainsFunc(generatedYears, func(g int) bool { return fmt.Sprint(g) == y }) {
				f.Days = append(f.Days, d)
			}
		}
		if err := os.WriteFile("holidays.json", encodeFile(f), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote holidays.json; rebuild to embed it")
		return
	}
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range generatedYears {
		if !c.Covered(y) {
			t.Errorf("embedded calendar does not cover %d", y)
		}
	}
	for y := 2020; y <= 2040; y++ {
		file, lunar := c.Days(y), lunarDays(y)
		if len(file) == 0 || len(lunar) == 0 {
			continue // one side does not know the year yet
		}
		if len(file) != len(lunar) {
			t.Errorf("%d: holidays.json has %d days, lunar-go %d", y, len(file), len(lunar))
			continue
		}
		for i := range file {
			if file[i] != lunar[i] {
				t.Errorf("%d: holidays.json %+v, lunar-go %+v", y, file[i], lunar[i])
			}
		}
	}
}
