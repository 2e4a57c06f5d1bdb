package web

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// domainRoutes registers the data domain's API routes and pages (R2.1,
// R4.2, R4.3, R10.1, R10.2, R11.1, R26.1, R27.3, R28.3).
func (s *Server) domainRoutes() {
	s.handle("GET", "/api/v1/domain/mounts", s.apiDomainMounts)
	s.handle("GET", "/api/v1/domain/entries/{id}", s.apiDomainEntry)
	s.handle("PUT", "/api/v1/domain/entries/{id}/rules", s.apiDomainRules)
	s.handle("POST", "/api/v1/domain/entries/{id}/uploads", s.apiDomainUpload)
	s.handle("POST", "/api/v1/domain/entries/{id}/drop", s.apiDomainDrop)
	s.handle("GET", "/api/v1/domain/entries/{id}/jobs", s.apiDomainJobs)
	s.handle("GET", "/api/v1/domain/jobs/{id}", s.apiDomainJob)
	s.handle("GET", "/api/v1/domain/entries/{id}/versions", s.apiDomainVersions)
	s.handle("GET", "/api/v1/domain/entries/{id}/quality", s.apiDomainQuality)
	s.handle("GET", "/api/v1/domain/entries/{id}/profile", s.apiDomainProfile)
	s.handle("GET", "/api/v1/domain/entries/{id}/preview", s.apiDomainPreview)
	s.domainIssueRoutes()
	s.domainSuspendRoutes()
	s.domainPageRoutes()
}

func (s *Server) apiDomainMounts(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	ms, err := s.db.Mounts(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(ms))
	return nil
}

func (s *Server) apiDomainEntry(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.DomainEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	out := struct {
		*sqlstore.DomainEntry
		Mount *sqlstore.MountStatus `json:"mount,omitempty"`
	}{DomainEntry: e}
	if e.Published {
		if out.Mount, err = s.db.Mount(r.Context(), a, id); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiDomainRules(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Rules  []sqlstore.FieldRule `json:"rules"`
		Reason string               `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.SetFieldRules(r.Context(), a, id, req.Rules, req.Reason); err != nil {
		return err
	}
	e, err := s.db.DomainEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiDomainJobs(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	js, err := s.db.SupplyJobs(r.Context(), a, id, 100)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(js))
	return nil
}

// domainVersion is a kept version as the API shows it.
type domainVersion struct {
	N            int       `json:"n"`
	Current      bool      `json:"current"`
	Rows         int64     `json:"rows"`
	Bytes        int64     `json:"bytes"`
	LoadedAt     time.Time `json:"loaded_at"`
	Checksum     string    `json:"checksum_sm3"`
	Quality      float64   `json:"quality"`
	PublicSource bool      `json:"public_source"`
	NonPublic    bool      `json:"non_public"`
}

func (s *Server) apiDomainVersions(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.DomainEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	v, err := s.domainVault()
	if err != nil {
		return err
	}
	vs, err := v.Versions(r.Context(), e.VaultName)
	if err != nil {
		return err
	}
	cur := 0
	if c, err := v.Current(r.Context(), e.VaultName); err == nil {
		cur = c.N
	}
	out := make([]domainVersion, 0, len(vs))
	for _, x := range vs {
		out = append(out, domainVersion{N: x.N, Current: x.N == cur, Rows: x.Rows, Bytes: x.Bytes, LoadedAt: x.LoadedAt,
			Checksum: hex.EncodeToString(x.Checksum), Quality: x.Quality, PublicSource: x.PublicSource, NonPublic: x.NonPublic})
	}
	writeJSON(w, http.StatusOK, listOf(out))
	return nil
}

func (s *Server) apiDomainQuality(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := s.db.LatestReport(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// domainReadable refuses reading an entry's data while its supply is
// suspended (R27.3): not even profiles or the owner's preview.
func (s *Server) domainReadable(r *http.Request, entryID int64) error {
	sus, err := s.db.EntrySuspended(r.Context(), entryID)
	if err != nil {
		return err
	}
	if sus {
		return shuyu.Errorf(shuyu.ECONFLICT, "该目录的数据供给已暂停，暂不可读取 (supply suspended, R27.3)")
	}
	return nil
}

// apiDomainProfile shows counts, null rates, distinct counts and the quality
// score; never values of personal-information or trade-secret fields
// (R2.1, R4.2).
func (s *Server) apiDomainProfile(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.AuthorizeDomain(r.Context(), a, shuyu.ActDomainProfile, id)
	if err != nil {
		return err
	}
	v, err := s.domainVault()
	if err != nil {
		return err
	}
	if err := s.domainReadable(r, id); err != nil {
		return err
	}
	p, err := v.Profile(r.Context(), e.VaultName)
	if err != nil {
		return err
	}
	cur, err := v.Current(r.Context(), e.VaultName)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		*vault.Profile
		Quality float64 `json:"quality"`
	}{p, cur.Quality})
	return nil
}

// apiDomainPreview pages through raw rows for the owning department only
// (R4.2); each page read is audited (R28.1).
func (s *Server) apiDomainPreview(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	p, err := s.domainPreview(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"columns": p.cols, "rows": p.rows, "total": p.total, "offset": p.offset, "limit": p.limit})
	return nil
}

// domainPreviewPage is one page of an entry's raw rows, as text.
type domainPreviewPage struct {
	entry         *sqlstore.DomainEntry
	cols          []string
	rows          [][]string
	total         int64
	offset, limit int
}

// domainPreview is the one path by which raw rows leave the vault: only the
// owning department (the store's authorization of ActDomainPreview), only
// while the entry is readable (not suspended), and only after the page read
// is in the audit trail (R4.2, R28.1). The API and the page both use it.
func (s *Server) domainPreview(r *http.Request, a *shuyu.Actor) (*domainPreviewPage, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	offset, limit, err := domainPaging(r)
	if err != nil {
		return nil, err
	}
	e, err := s.db.AuthorizeDomain(r.Context(), a, shuyu.ActDomainPreview, id)
	if err != nil {
		return nil, err
	}
	v, err := s.domainVault()
	if err != nil {
		return nil, err
	}
	if err := s.domainReadable(r, id); err != nil {
		return nil, err
	}
	if err := s.db.AuditPreview(r.Context(), a, id, offset, limit); err != nil {
		return nil, err
	}
	cols, rows, total, err := v.Preview(r.Context(), e.VaultName, offset, limit)
	if err != nil {
		return nil, err
	}
	p := &domainPreviewPage{entry: e, cols: cols, rows: make([][]string, len(rows)), total: total, offset: offset, limit: limit}
	for i, row := range rows {
		p.rows[i] = make([]string, len(row))
		for j, x := range row {
			p.rows[i][j] = domainCell(x)
		}
	}
	return p, nil
}

func domainPaging(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	offset, limit = 0, 50
	bad := shuyu.Errorf(shuyu.EINVALID, "分页参数无效：offset≥0，1≤limit≤1000 (bad paging)")
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, bad
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, bad
		}
	}
	return offset, limit, nil
}

// domainCell renders one value of a preview.
func domainCell(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			return v.Format("2006-01-02")
		}
		return v.Format("2006-01-02 15:04:05")
	case []byte:
		return string(v)
	}
	return strings.TrimSpace(fmt.Sprint(x))
}
