package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

// Rule 8: the noise of a figure is seeded by its set of units and their
// contributions. The red team (round six) found every FILTERed count of one
// group carrying one of two noise values chosen by the count's parity, so
// the difference of two such counts was exact; counts over different sets
// of persons must get independent noise.
func TestFilteredCountsDrawTheirOwnNoise_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var figs []string
	var bounds []int
	for x := 10000; x <= 150000; x += 10000 {
		bounds = append(bounds, x)
		figs = append(figs, fmt.Sprintf("count(*) FILTER (WHERE income >= %d) AS n%d", x, x))
	}
	r := f.run(t, "SELECT gender, "+strings.Join(figs, ", ")+" FROM people GROUP BY gender ORDER BY gender")
	if r.Status != Released {
		t.Fatalf("%s %v", r.Status, r.Reasons)
	}
	noiseByParity := map[string]map[int64]int{}
	for _, row := range r.Rows {
		for j, x := range bounds {
			if row[j+1] == nil {
				continue
			}
			var truth int64
			if err := f.conn.QueryRowContext(f.ctx, "SELECT count(*) FROM src_people WHERE gender = ? AND income >= ?", row[0], x).Scan(&truth); err != nil {
				t.Fatal(err)
			}
			got, _ := toFloat(row[j+1])
			k := fmt.Sprint(row[0], truth%2)
			if noiseByParity[k] == nil {
				noiseByParity[k] = map[int64]int{}
			}
			noiseByParity[k][int64(got)-truth]++
		}
	}
	for k, noises := range noiseByParity {
		total := 0
		for _, n := range noises {
			total += n
		}
		if total >= 5 && len(noises) < 2 {
			t.Errorf("group and parity %s: %d figures all with noise %v", k, total, noises)
		}
	}
}
