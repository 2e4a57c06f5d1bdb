package synth

import (
	"encoding/csv"
	"io"
	"testing"
	"time"
)

// BenchmarkPopulation200k generates 200,000 population rows to io.Discard and,
// in the same run, writes 200,000 fixed rows of the same width with
// encoding/csv as the baseline; it reports rows/s and the ratio of the two
// times (how much the generation costs over plain CSV writing).
func BenchmarkPopulation200k(b *testing.B) {
	const n = 200_000
	fixed := []string{"640502199001011234", "张伟", "男", "汉族", "1990-01-01", "640502", "沙坡头区", "滨河镇",
		"宁夏回族自治区中卫市沙坡头区滨河镇鼓楼东路12号丽景小区3号楼2单元1201室", "13800000000", "城镇"}
	var gen, base time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := WriteCSV(io.Discard, "population", n, 1, testNow); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		w := csv.NewWriter(io.Discard)
		for range n {
			if err := w.Write(fixed); err != nil {
				b.Fatal(err)
			}
		}
		w.Flush()
		gen, base = gen+t1.Sub(t0), base+time.Since(t1)
	}
	b.ReportMetric(float64(n*b.N)/gen.Seconds(), "gen_rows/s")
	b.ReportMetric(float64(n*b.N)/base.Seconds(), "baseline_rows/s")
	b.ReportMetric(gen.Seconds()/base.Seconds(), "gen/baseline")
}
