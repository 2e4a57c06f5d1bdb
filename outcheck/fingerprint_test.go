package outcheck

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"strconv"
	"testing"

	"shuyu"
)

var fpSecret = []byte("0123456789abcdef-test-secret")

func fingerprintTable(t *testing.T) Table {
	d := openDomain(t, testPeople)
	return d.table(t, "by_township", `SELECT township, `+ageBand+` AS age_band, gender, count(*) AS people,
		CAST(round(avg(income), 2) AS DECIMAL(12,2)) AS avg_income,
		round(count(*) / 3000.0, 4) AS share
		FROM income GROUP BY ALL ORDER BY ALL`)
}

func TestFingerprint_R27_1_LeakedSubsetShuffledAttributed(t *testing.T) {
	t.Parallel()
	orig := fingerprintTable(t)
	recipients := []string{"merchant-a", "merchant-b", "merchant-c", "dept-gongan", "county-haiyuan"}
	copies := map[string]Table{}
	for _, r := range recipients {
		fp, err := Fingerprint(orig, r, fpSecret)
		if err != nil {
			t.Fatal(err)
		}
		copies[r] = fp
	}
	// The marks change no value: every cell parses to the original.
	a := copies["merchant-a"]
	for i, row := range a.Rows {
		for j, v := range row {
			if v == orig.Rows[i][j] {
				continue
			}
			x, _ := strconv.ParseFloat(v, 64)
			y, _ := strconv.ParseFloat(orig.Rows[i][j], 64)
			if x != y {
				t.Fatalf("row %d col %s: value changed", i, orig.Columns[j])
			}
		}
	}
	if equalRows(copies["merchant-a"].Rows, copies["merchant-b"].Rows) {
		t.Fatal("two recipients got identical copies")
	}
	for _, who := range recipients {
		leaked := leak(copies[who], 0.3, 11)
		// Through a CSV file, as leaks travel.
		leaked = csvRoundTrip(t, leaked)
		got, err := Attribute(leaked, recipients, fpSecret)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("leak of %s's copy: %d of %d rows, %d/%d bits agree, confidence %.12f",
			who, len(leaked.Rows), len(orig.Rows), got.Matches, got.Bits, got.Confidence)
		if got.Recipient != who || got.Confidence < 0.999 {
			t.Errorf("leak of %s's copy (%d rows): attributed to %q, confidence %.6f, %d/%d bits",
				who, len(leaked.Rows), got.Recipient, got.Confidence, got.Matches, got.Bits)
		}
	}
	// The unmarked table, and the right copy under a wrong secret, name no one.
	for name, tb := range map[string]Table{"unmarked": leak(orig, 0.3, 12), "wrong secret": leak(copies["merchant-c"], 0.3, 13)} {
		secret := fpSecret
		if name == "wrong secret" {
			secret = []byte("another-secret-of-16+")
		}
		got, err := Attribute(tb, recipients, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got.Recipient != "" {
			t.Errorf("%s: attributed to %q (%d/%d bits)", name, got.Recipient, got.Matches, got.Bits)
		}
	}
}

func TestFingerprint_R27_1_BadInput(t *testing.T) {
	t.Parallel()
	ints := Table{Name: "counts", Columns: []string{"county", "people"}, Rows: [][]string{{"沙坡头区", "120"}}}
	if _, err := Fingerprint(ints, "merchant-a", fpSecret); shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
		t.Errorf("no decimal column: %v, want EUNPROCESSABLE", err)
	}
	if _, err := Fingerprint(fingerprintTable(t), "", fpSecret); shuyu.ErrorCode(err) != shuyu.EINVALID {
		t.Errorf("no recipient: %v", err)
	}
	if _, err := Fingerprint(fingerprintTable(t), "merchant-a", []byte("short")); shuyu.ErrorCode(err) != shuyu.EINVALID {
		t.Errorf("short secret: %v", err)
	}
	if _, err := Attribute(ints, nil, fpSecret); shuyu.ErrorCode(err) != shuyu.EINVALID {
		t.Errorf("no candidates: %v", err)
	}
}

// leak returns a shuffled random share of t's rows.
func leak(t Table, share float64, seed uint64) Table {
	r := rand.New(rand.NewPCG(seed, seed))
	rows := append([][]string(nil), t.Rows...)
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	n := int(float64(len(rows)) * share)
	return Table{Name: t.Name, Columns: t.Columns, Rows: rows[:n]}
}

func csvRoundTrip(t *testing.T, tb Table) Table {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(tb.Columns)
	w.WriteAll(tb.Rows)
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return Table{Name: tb.Name, Columns: recs[0], Rows: recs[1:]}
}

func equalRows(a, b [][]string) bool {
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}
