package sandbox

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
)

// Rule 5b (red team, round six): an exclusion of one person written as one
// condition in a FILTER — concat(county, '|', gender, '|', year) <> the
// victim's — took the victim out of a cell that fresh decoy blocks kept
// apart from every remembered figure, and averaging (A∪T) − A against
// (A∪T minus the victim) − A over many decoys read the difference of one
// person. A conjunct that takes out fewer than about K units lets them back
// in, so both averages estimate the same number.
func TestOnePersonExclusionWithDecoysMovesNothing_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := func(p person) string { return fmt.Sprintf("%s|%s|%d", p.County, p.Gender, p.Birth.Year()) }
	cells := map[string][]person{}
	for _, p := range f.people {
		cells[key(p)] = append(cells[key(p)], p)
	}
	var victim person
	var others []string
	var names []string
	for k := range cells {
		names = append(names, k)
	}
	sort.Strings(names)
	// The smallest cell of the county, gender and birth year: its persons
	// are the victims, whom the exclusion takes out.
	size := 0
	for _, k := range names {
		if n := len(cells[k]); n <= 3 && (size == 0 || n < size) {
			victim, size = cells[k][0], n
		}
	}
	if victim.ID == "" {
		t.Fatal("no cell of at most three persons")
	}
	for _, k := range names {
		if !strings.HasPrefix(k, victim.County+"|") {
			others = append(others, k)
		}
	}
	rnd := rand.New(rand.NewSource(7))
	cellExpr := "concat(county, '|', gender, '|', year(birth_date))"
	decoy := func() string {
		rnd.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
		return cellExpr + " IN ('" + strings.Join(others[:12], "', '") + "')"
	}
	T := fmt.Sprintf("county = '%s'", victim.County)
	E := fmt.Sprintf("%s <> '%s'", cellExpr, key(victim))
	mean := func(exclude bool) (float64, int) {
		var sum float64
		n := 0
		for q := 0; q < 20; q++ {
			var figs []string
			for k := 0; k < 4; k++ {
				a := decoy()
				both := fmt.Sprintf("(%s OR %s)", a, T)
				if exclude {
					both += " AND " + E
				}
				figs = append(figs, fmt.Sprintf("count(*) FILTER (WHERE %s)", both), fmt.Sprintf("count(*) FILTER (WHERE %s)", a))
			}
			r := f.run(t, "SELECT "+strings.Join(figs, ", ")+" FROM people")
			if r.Status != Released || len(r.Rows) != 1 {
				t.Fatalf("%s %v", r.Status, r.Reasons)
			}
			for k := 0; k < 4; k++ {
				x, ok1 := toFloat(r.Rows[0][2*k])
				y, ok2 := toFloat(r.Rows[0][2*k+1])
				if ok1 && ok2 && r.Rows[0][2*k] != nil && r.Rows[0][2*k+1] != nil {
					sum += x - y
					n++
				}
			}
		}
		return sum / float64(n), n
	}
	with, n1 := mean(false)
	without, n2 := mean(true)
	// With the victims excluded as written the difference is their number
	// (1 to 3); sampling noise on the estimate is about 0.22 (unit noise
	// per figure, 80 samples a side).
	if d := with - without; d > 0.6 || d < -0.6 || n1 < 60 || n2 < 60 {
		t.Errorf("(A∪T)−A averages %.2f over %d samples, (A∪T minus the victim)−A %.2f over %d: the exclusion of %d moved %.2f", with, n1, without, n2, size, d)
	}
}

// The same exclusion inside a derived table: its WHERE is tested over the
// whole subquery (rule 5b), where it takes out the few it names.
func TestOnePersonExclusionInASubqueryMovesNothing_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	key := func(p person) string { return fmt.Sprintf("%s|%s|%d", p.County, p.Gender, p.Birth.Year()) }
	cells := map[string]int{}
	for _, p := range f.people {
		cells[key(p)]++
	}
	var victim string
	for k, n := range cells {
		if n <= 3 && (victim == "" || k < victim) {
			victim = k
		}
	}
	county := strings.SplitN(victim, "|", 2)[0]
	q := "SELECT count(*) AS n, sum(s.amount) AS spend FROM settlements s JOIN (SELECT id, county FROM people WHERE %s) p ON s.id = p.id WHERE p.county = '" + county + "'"
	all := f.run(t, fmt.Sprintf(q, "TRUE"))
	// Asked in a second workspace, whose release memory is empty: equal
	// answers mean equal sets of persons, not a remembered figure.
	ws2 := *f.ws
	ws2.ID = "w2"
	but, err := f.eng.Run(f.ctx, f.conn, &ws2, fmt.Sprintf(q, "concat(county, '|', gender, '|', year(birth_date)) <> '"+victim+"'"))
	if err != nil {
		t.Fatal(err)
	}
	if all.Status != Released || but.Status != Released || fmt.Sprint(all.Rows) != fmt.Sprint(but.Rows) {
		t.Errorf("all: %s %v %v; all but %s: %s %v %v", all.Status, all.Reasons, all.Rows, victim, but.Status, but.Reasons, but.Rows)
	}
}
