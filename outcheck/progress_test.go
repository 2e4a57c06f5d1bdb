package outcheck

import (
	"context"
	"strconv"
	"testing"
)

// A check reports its progress to WithProgress: each table in order, a
// scan's rows growing to the table's size every 65,536 rows, then the
// linkage stage with all rows scanned; without WithProgress it runs the
// same.
func TestCheck_Progress_TablesAndRowsInOrder(t *testing.T) {
	t.Parallel()
	const n = 150_000
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{strconv.Itoa(i % 7), strconv.Itoa(20 + i%50)}
	}
	tb := Table{Name: "t", Columns: []string{"county", "age"}, Rows: rows}
	small := Table{Name: "s", Columns: []string{"county", "age"}, Rows: rows[:10]}
	p := &Product{ID: "1", Tables: []Table{tb, small}}
	var got []Progress
	ctx := WithProgress(context.Background(), func(g Progress) { got = append(got, g) })
	if _, err := Check(ctx, p, RuleSet{Version: 1}, nil); err != nil {
		t.Fatal(err)
	}
	want := []Progress{
		{StageScan, 1, 2, 0}, {StageScan, 1, 2, 65536}, {StageScan, 1, 2, 131072}, {StageLinkage, 1, 2, n},
		{StageScan, 2, 2, 0}, {StageLinkage, 2, 2, 10},
	}
	if len(got) != len(want) {
		t.Fatalf("progress %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("report %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := Check(context.Background(), p, RuleSet{Version: 1}, nil); err != nil {
		t.Fatal(err)
	}
}
