package vault

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/text/encoding/simplifiedchinese"

	"shuyu"
	identpkg "shuyu/ident"
)

func genIDs(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		out[i] = identpkg.GenCitizenID(r, "640502", time.Date(1960+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), i%2 == 0)
	}
	return out
}

// goodCSV has a header in another order than the spec, Chinese labels and
// names mixed, one bad citizen ID and one out-of-range age.
func goodCSV() string {
	ids := genIDs(4)
	bad := ids[3][:17] + string("0123456789X"[(strings.IndexByte("0123456789X", ids[3][17])+1)%11])
	return "姓名,id_no,age,county,income,born,mobile\n" +
		"张三," + ids[0] + ",34,640502,1234.5,1990-01-02,13800138000\n" +
		"李四," + ids[1] + ",151,640521,,1985-12-31,+86 139-0000-1111\n" +
		"\"王,五\"," + ids[2] + ",,640522,0.25,,\n" +
		"赵六," + bad + ",40,640599,10,2000-02-29,12345\n"
}

func TestLoad_R10_1_CSVHappyPathAndQuality_R11_1(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	var progress []int64
	body := goodCSV()
	v, rep, err := d.Load(context.Background(), peopleSpec(), strings.NewReader(body), FileCSV,
		LoadOptions{Progress: func(n int64) { progress = append(progress, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if v.N != 1 || v.Rows != 4 || v.Bytes != int64(len(body)) || !v.LoadedAt.Equal(fixedNow) {
		t.Errorf("version = %+v", v)
	}
	sum := sm3.Sum([]byte(body))
	if !bytes.Equal(v.Checksum, sum[:]) {
		t.Error("checksum is not SM3 of the upload")
	}
	if len(progress) == 0 || progress[len(progress)-1] != 4 {
		t.Errorf("progress = %v", progress)
	}
	failed := map[string]int64{}
	for _, r := range rep.Rules {
		failed[r.Column+"/"+r.Rule] = r.Failed
	}
	want := map[string]int64{"id_no/unique": 0, "id_no/citizen_id": 1, "age/range": 1, "county/enum": 1, "mobile/mobile": 1}
	for k, n := range want {
		if got, ok := failed[k]; !ok || got != n {
			t.Errorf("rule %s failed = %d (present %v), want %d", k, got, ok, n)
		}
	}
	if len(rep.Rules) != len(want) {
		t.Errorf("rules = %+v", rep.Rules)
	}
	// 4 rows x 5 rules = 20 checks, 4 failed.
	if rep.Score != 80 || v.Quality != 80 {
		t.Errorf("score = %v / %v, want 80", rep.Score, v.Quality)
	}
	cols, rows, total, err := d.Preview(context.Background(), "people", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 4 || len(rows) != 4 || cols[0] != "id_no" || rows[2][1] != "王,五" || rows[0][2] != int64(34) {
		t.Errorf("preview = %v %v %d", cols, rows, total)
	}
	if rows[2][2] != nil {
		t.Errorf("empty integer should be NULL, got %v", rows[2][2])
	}
}

func TestLoad_R10_1_EncodingsUTF8BOMAndGBK(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	body := goodCSV()
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range []string{"\xef\xbb\xbf" + body, gbk} {
		if _, _, err := load(t, d, peopleSpec(), in, FileCSV); err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		_, rows, _, err := d.Preview(context.Background(), "people", 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if rows[0][1] != "张三" {
			t.Errorf("variant %d: name = %q", i, rows[0][1])
		}
	}
}

func TestLoad_R10_1_HeaderMismatchListsColumns(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	_, _, err := load(t, d, peopleSpec(), "name,id_no,age,county,income,born,phone\n", FileCSV)
	e := mustCode(t, err, shuyu.EINVALID)
	fe, _ := e.Details.([]shuyu.FieldError)
	got := fmt.Sprint(fe)
	if !strings.Contains(got, "phone") || !strings.Contains(got, "mobile") || len(fe) != 2 {
		t.Errorf("details = %v", fe)
	}
}

func TestLoad_R10_1_BadRowsRefusedWithRowNumbers(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ids := genIDs(5)
	body := "id_no,name,age,county,income,born,mobile\n" +
		ids[0] + ",a,1,640502,1,2000-01-01,\n" +
		ids[1] + ",b,abc,640502,1,2000-01-01,\n" + // row 3: not an integer
		ids[2] + ",c,1,640502\n" + // row 4: too few columns
		ids[3] + ",d,1,640502,1,2000-13-01,,extra\n" + // row 5: too many columns
		ids[4] + ",e,1,640502,1,2000-01-01,\n"
	_, _, err := load(t, d, peopleSpec(), body, FileCSV)
	re := rowErrors(t, err)
	rowsSeen := map[int]bool{}
	for _, r := range re {
		rowsSeen[r.Row] = true
		if strings.Contains(r.Message, "abc") {
			t.Errorf("row error leaks the value: %+v", r)
		}
	}
	for _, row := range []int{3, 4, 5} {
		if !rowsSeen[row] {
			t.Errorf("row %d not reported: %+v", row, re)
		}
	}
	if rowsSeen[2] || rowsSeen[6] {
		t.Errorf("good rows reported: %+v", re)
	}
	if _, err := d.Current(context.Background(), "people"); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		t.Errorf("refused load became current: %v", err)
	}
	assertNoOrphans(t, d)
}

func TestLoad_R10_1_RequiredEmptyRefuses(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ids := genIDs(2)
	body := "id_no,name,age,county,income,born,mobile\n" + ids[0] + ",,1,,,,\n" + ids[1] + ",b,,,,,\n"
	re := rowErrors(t, func() error { _, _, err := load(t, d, peopleSpec(), body, FileCSV); return err }())
	if len(re) != 1 || re[0].Row != 2 || re[0].Column != "name" {
		t.Errorf("row errors = %+v", re)
	}
}

func TestLoad_R10_1_BrokenQuotingRefused(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ids := genIDs(2)
	body := "id_no,name,age,county,income,born,mobile\n" + ids[0] + ",\"a\"b\",1,,,,\n" + ids[1] + ",b,,,,,\n"
	_, _, err := load(t, d, peopleSpec(), body, FileCSV)
	if c := shuyu.ErrorCode(err); c != shuyu.EUNPROCESSABLE {
		t.Fatalf("code %s: %v", c, err)
	}
}

func TestLoad_R10_1_SizeCapAndColumnCap(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	_, _, err := d.Load(context.Background(), peopleSpec(), strings.NewReader(goodCSV()), FileCSV, LoadOptions{MaxBytes: 50})
	mustCode(t, err, shuyu.ETOOLARGE)
	_, _, err = d.Load(context.Background(), peopleSpec(), strings.NewReader(goodCSV()), FileCSV, LoadOptions{MaxColumns: 3})
	mustCode(t, err, shuyu.ETOOLARGE)
	ents, _ := os.ReadDir(d.staging)
	if len(ents) != 0 {
		t.Errorf("staging not cleaned: %v", ents)
	}
}

func TestLoad_R10_1_VersionsKeptAndSwitched(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx := context.Background()
	if _, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV); err != nil {
		t.Fatal(err)
	}
	ids := genIDs(6)
	if _, _, err := load(t, d, peopleSpec(), "id_no,name\n"+ids[5]+",x\n", FileCSV); err == nil {
		t.Fatal("missing columns accepted")
	}
	second := "id_no,name,age,county,income,born,mobile\n" + ids[4] + ",x,1,,,,\n"
	if _, _, err := load(t, d, peopleSpec(), second, FileCSV); err != nil {
		t.Fatal(err)
	}
	vs, err := d.Versions(ctx, "people")
	if err != nil || len(vs) != 2 || vs[0].N != 1 || vs[1].N != 2 || vs[0].Rows != 4 || vs[1].Rows != 1 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	cur, err := d.Current(ctx, "people")
	if err != nil || cur.N != 2 {
		t.Fatalf("current = %+v, %v", cur, err)
	}
	// The view named after the entry reads the current version (R10.2).
	c, _ := d.Locked(ctx)
	defer c.Close()
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM people").Scan(&n); err != nil || n != 1 {
		t.Errorf("view rows = %d, %v", n, err)
	}
	ms, err := d.Mounts(ctx, []string{"people", "firms"})
	if err != nil || !ms[0].Mounted || ms[0].Current != 2 || ms[1].Mounted {
		t.Errorf("mounts = %+v, %v", ms, err)
	}
}

func assertNoOrphans(t *testing.T, d *Domain) {
	t.Helper()
	var n int
	err := d.db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND (table_name LIKE 'v\_%' ESCAPE '\' OR table_name LIKE '\_vault\_stage%' ESCAPE '\')
		AND table_name NOT IN (SELECT tbl FROM _vault_versions)`).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("orphan tables: %d, %v", n, err)
	}
	if ents, _ := os.ReadDir(d.staging); len(ents) != 0 {
		t.Errorf("staging files left: %d", len(ents))
	}
}

func TestLoadFromDrop_R10_1_RefusesEscapes(t *testing.T) {
	t.Parallel()
	d, dir := openTest(t)
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o700)
	os.WriteFile(filepath.Join(drop, "ok.csv"), []byte(goodCSV()), 0o600)
	secret := filepath.Join(dir, "secret.csv")
	os.WriteFile(secret, []byte(goodCSV()), 0o600)
	os.Symlink(secret, filepath.Join(drop, "link.csv"))
	os.Symlink(filepath.Join(drop, "ok.csv"), filepath.Join(drop, "inner.csv"))
	ctx := context.Background()
	for _, name := range []string{"../secret.csv", secret, "link.csv", "sub/../../secret.csv", ""} {
		_, _, err := d.LoadFromDrop(ctx, drop, name, peopleSpec(), FileCSV, LoadOptions{})
		mustCode(t, err, shuyu.EINVALID)
	}
	_, _, err := d.LoadFromDrop(ctx, drop, "nope.csv", peopleSpec(), FileCSV, LoadOptions{})
	mustCode(t, err, shuyu.ENOTFOUND)
	for _, name := range []string{"ok.csv", "inner.csv"} {
		if _, _, err := d.LoadFromDrop(ctx, drop, name, peopleSpec(), FileCSV, LoadOptions{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSuspend_R27_3_RefusesSupplyUntilResumed(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx := context.Background()
	mustCode(t, d.Suspend(ctx, "people", " "), shuyu.EINVALID)
	if err := d.Suspend(ctx, "people", "安全风险排查"); err != nil {
		t.Fatal(err)
	}
	_, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV)
	mustCode(t, err, shuyu.ECONFLICT)
	ms, _ := d.Mounts(ctx, []string{"people"})
	if !ms[0].Suspended || ms[0].Reason != "安全风险排查" || !ms[0].Since.Equal(fixedNow) {
		t.Errorf("mount = %+v", ms[0])
	}
	if err := d.Resume(ctx, "people"); err != nil {
		t.Fatal(err)
	}
	mustCode(t, d.Resume(ctx, "people"), shuyu.ECONFLICT)
	if _, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV); err != nil {
		t.Fatal(err)
	}
}
