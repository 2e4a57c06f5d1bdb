package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
)

// domainHarness is the standard harness plus a real sealed domain in the
// data directory, and a log buffer so tests can scan log lines for raw
// values (invariant 1).
type domainHarness struct {
	*harness
	vault *vault.Domain
	data  string
	logs  *domainLogBuf
	srvv  *Server
}

type domainLogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *domainLogBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *domainLogBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newDomainHarness(t *testing.T, backend string) *domainHarness {
	t.Helper()
	return domainHarnessOn(t, sqltest.Seeded(t, backend))
}

// domainHarnessOn serves a server with a domain vault on env's store.
func domainHarnessOn(t *testing.T, env *sqltest.Env) *domainHarness {
	t.Helper()
	data := t.TempDir()
	v, err := vault.Open(filepath.Join(data, "domain"), vault.Options{Now: env.Clock.Now, MemoryLimit: "512MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	os.MkdirAll(filepath.Join(data, "drop"), 0o700)
	logs := &domainLogBuf{}
	s := New(Config{DB: env.DB, Vault: v, Data: data, Now: env.Clock.Now, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return &domainHarness{harness: serveHarness(t, env, s), vault: v, data: data, logs: logs, srvv: s}
}

// entry inserts a published (or draft) catalog entry owned by the user's
// organization, with the people fields, directly with SQL.
func (h *domainHarness) entry(code, owner string, published bool) int64 {
	h.t.Helper()
	ctx := context.Background()
	db, o := h.db, h.actors[owner]
	var id, rev int64
	if err := db.SQL().QueryRowContext(ctx, db.Rebind(`INSERT INTO catalog_entries (code, org_id, region, created_at) VALUES (?, ?, ?, 0) RETURNING id`),
		code, o.OrgID, o.Region).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	if err := db.SQL().QueryRowContext(ctx, db.Rebind(`INSERT INTO catalog_revisions (entry_id, version, status, name, summary, grade,
		open_attr, public_source, auth_mode, update_freq, created_by, created_at, updated_at)
		VALUES (?, 1, 'published', ?, '测试', 'important', 'conditional', ?, 'whole', 'monthly', ?, 0, 0) RETURNING id`),
		id, "人口测试"+code, false, o.UserID).Scan(&rev); err != nil {
		h.t.Fatal(err)
	}
	for i, f := range []struct {
		name, label, typ string
		pi, spi          bool
	}{
		{"id_no", "公民身份号码", "string", true, true}, {"name", "姓名", "string", true, false},
		{"age", "年龄", "integer", false, false}, {"county", "县区代码", "string", false, false},
		{"mobile", "手机号码", "string", true, false},
	} {
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(`INSERT INTO catalog_fields (revision_id, position, name, label, data_type, pi,
			sensitive_pi, trade_secret, grade) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'general')`), rev, i, f.name, f.label, f.typ, f.pi, f.spi, false); err != nil {
			h.t.Fatal(err)
		}
	}
	if !published {
		return id
	}
	if _, err := db.SQL().ExecContext(ctx, db.Rebind(`UPDATE catalog_entries SET published_rev_id = ? WHERE id = ?`), rev, id); err != nil {
		h.t.Fatal(err)
	}
	// Written around the store: the public catalog's caches must hear of it.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1`); err != nil {
		h.t.Fatal(err)
	}
	h.call(h.token(owner), "PUT", fmt.Sprintf("/api/v1/domain/entries/%d/rules", id), map[string]any{"rules": []map[string]any{
		{"field": "id_no", "format": "citizen_id", "required": true, "unique": true},
		{"field": "age", "min": 0, "max": 150},
		{"field": "county", "enum": []string{"640502", "640521", "640522"}},
		{"field": "mobile", "format": "mobile"},
	}, "reason": "数据规范"}, 200, nil)
	return id
}

// domainIDs are valid citizen ID numbers of Zhongwei counties.
func domainIDs(n int) []string {
	r := rand.New(rand.NewPCG(7, 11))
	out := make([]string, n)
	for i := range out {
		out[i] = ident.GenCitizenID(r, []string{"640502", "640521", "640522"}[i%3],
			time.Date(1970+i%40, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), i%2 == 0)
	}
	return out
}

// peopleCSV renders n people; the names are the raw values the leak test
// looks for.
func peopleCSV(ids []string, names []string) string {
	var b strings.Builder
	b.WriteString("id_no,name,age,county,mobile\n")
	for i, id := range ids {
		fmt.Fprintf(&b, "%s,%s,%d,%s,139%08d\n", id, names[i], 20+i%60, []string{"640502", "640521", "640522"}[i%3], 51000000+i)
	}
	return b.String()
}

// upload posts a file as multipart/form-data.
func (h *domainHarness) upload(user string, entry int64, name string, body []byte, query string) (*http.Response, []byte) {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(body)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/domain/entries/%d/uploads%s", h.srv.URL, entry, query), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+h.token(user))
	return h.send(req)
}

// uploadOK uploads and waits for the job to finish successfully.
func (h *domainHarness) uploadOK(user string, entry int64, name, body string) map[string]any {
	h.t.Helper()
	resp, data := h.upload(user, entry, name, []byte(body), "?wait=1")
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("upload %s: %d %s", name, resp.StatusCode, data)
	}
	var j map[string]any
	json.Unmarshal(data, &j)
	return j
}

// waitJob polls a job until it leaves "loading".
func (h *domainHarness) waitJob(user string, id int64) map[string]any {
	h.t.Helper()
	for i := 0; i < 600; i++ {
		var j map[string]any
		h.call(h.token(user), "GET", fmt.Sprintf("/api/v1/domain/jobs/%d", id), nil, 200, &j)
		if j["status"] != "loading" {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("job %d never finished", id)
	return nil
}

func domainErr(t *testing.T, data []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(data, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error body: %s", data)
	}
	return e
}

var _ = shuyu.EINVALID
