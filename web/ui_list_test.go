package web

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// xlsxRows reads the first sheet of an exported workbook.
func xlsxRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("export is not a workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func debugLog() io.Writer {
	if os.Getenv("SHUYU_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// The list component on the accounts page: the total follows the filters
// and the search, the export holds exactly the selection, a page past the
// end shows the last page, and a reader of the list gets nothing more than
// the page gives (the secadmin's own list).
func TestUI_ListComponent_FilterTotalExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	u := uiAs(t, h, "secadmin")
	count := func(q string, args ...any) int {
		var n int
		if err := h.db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	all := count(`SELECT COUNT(*) FROM users`)
	merchants := count(`SELECT COUNT(*) FROM users WHERE ','||roles||',' LIKE '%,merchant,%' OR roles LIKE '%"merchant"%'`)
	if merchants == 0 || merchants == all {
		t.Fatalf("seed: %d merchants of %d accounts", merchants, all)
	}
	total := regexp.MustCompile(`id="list-total">共 (\d+) 条`)
	for path, want := range map[string]int{"/admin/users": all, "/admin/users?role=merchant": merchants,
		"/admin/users?q=merchant-a": 1, "/admin/users?q=nobody-such": 0} {
		st, body, _ := u.get(path)
		m := total.FindStringSubmatch(body)
		if st != 200 || m == nil || m[1] != strconv.Itoa(want) {
			t.Errorf("%s: %d, total %v, want %d", path, st, m, want)
		}
		if rows := strings.Count(body, `<a href="/admin/users/`); want > 0 && rows != min(want, listPageSize) {
			t.Errorf("%s: %d rows shown, want %d", path, rows, min(want, listPageSize))
		}
	}
	st, xl, _ := u.get("/admin/users?role=merchant&format=xlsx")
	if st != 200 {
		t.Fatalf("export: %d", st)
	}
	rows := xlsxRows(t, []byte(xl))
	if len(rows) != merchants+1 || rows[0][0] != T("zh", "user.username") {
		t.Fatalf("export: %d rows (want %d + header), header %v", len(rows), merchants, rows[0])
	}
	for _, r := range rows[1:] {
		if !strings.Contains(strings.Join(r, "|"), "数据商") {
			t.Errorf("exported row not a merchant: %v", r)
		}
	}
	if st, body, _ := u.get("/admin/users?page=99"); st != 200 || !strings.Contains(body, `href="/admin/users/`) {
		t.Fatalf("page past the end: %d", st)
	}
}

// Names, not account names: the catalog history, agreement signatures and
// lineage show the person's display name (and organization); the inbox
// goes through the list component.
func TestUI_PeopleShownByName(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	u := uiAs(t, h, "merchant-a")
	st, body, _ := u.get("/inbox?state=unread")
	if st != 200 || !strings.Contains(body, `id="list-total"`) {
		t.Fatalf("inbox without the list bar: %d", st)
	}
	v := &view{Lang: langZH, person: New(Config{DB: h.db}).personLookup(context.Background())}
	var name, org string
	if err := h.db.SQL().QueryRow(`SELECT u.display_name, o.name FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.username = 'merchant-a'`).Scan(&name, &org); err != nil {
		t.Fatal(err)
	}
	if got := v.Person("merchant-a"); got != name+" · "+org {
		t.Fatalf("Person(merchant-a) = %q, want %q", got, name+" · "+org)
	}
	if got := v.Person("no-such-account"); got != "no-such-account" {
		t.Fatalf("unknown account: %q", got)
	}
	if got := v.Person("system"); got != T(langZH, "audit.who.system") {
		t.Fatalf("system: %q", got)
	}
}
