package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"shuyu"

	"shuyu/sqlstore"
)

func (s *Server) auditRoutes() {
	s.handle("GET", "/api/v1/audit/events", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]shuyu.Event, error) {
		f, err := eventFilter(q)
		if err != nil {
			return nil, err
		}
		return s.db.Events(ctx, a, f, false)
	}))
	s.handle("GET", "/api/v1/audit/export", download(s.apiAuditExport, "application/x-ndjson", "text/csv"))
	s.handle("GET", "/api/v1/audit/verify", onQuery(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) (sqlstore.AuditCheck, error) {
		return s.db.VerifyAuditAs(ctx, a)
	}))
	s.handle("GET", "/api/v1/audit/checkpoints", jsonRoute[noBody, checkpointList](http.StatusOK, s.apiCheckpoints))
	s.handle("POST", "/api/v1/audit/checkpoints", jsonRoute[noBody, checkpointMade](http.StatusCreated, s.apiCreateCheckpoint).or(http.StatusOK))
}

// eventFilter reads the search parameters shared by search and export.
func eventFilter(q url.Values) (sqlstore.EventFilter, error) {
	f := sqlstore.EventFilter{Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Actor: q.Get("actor")}
	var err error
	num := func(name string) int64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return 0
		}
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n < 0 {
			err = shuyu.Errorf(shuyu.EINVALID, "参数 %s 须为非负整数 (%s must be a non-negative integer)", name, name)
		}
		return n
	}
	day := func(name string) time.Time {
		v := q.Get(name)
		if v == "" || err != nil {
			return time.Time{}
		}
		t, e := time.ParseInLocation("2006-01-02", v, shanghai)
		if e != nil {
			err = shuyu.Errorf(shuyu.EINVALID, "参数 %s 须为日期 YYYY-MM-DD (%s must be a date YYYY-MM-DD)", name, name)
		}
		return t
	}
	f.ActorID = num("actor_id")
	f.AfterSeq = num("before_seq")
	f.Limit = int(num("limit"))
	f.From = day("from")
	if to := day("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // inclusive of the whole day
	}
	return f, err
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// apiAuditExport streams the selected events as JSON lines (default) or CSV
// (format=csv) for regulators (R30.1); the export is itself audited.
func (s *Server) apiAuditExport(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	f, err := eventFilter(r.URL.Query())
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" && format != "jsonl" {
		return shuyu.Errorf(shuyu.EINVALID, "format 须为 jsonl 或 csv")
	}
	evs, err := s.db.Events(r.Context(), a, f, true)
	if err != nil {
		return err
	}
	name := "shuyu-audit-" + time.Now().In(shanghai).Format("20060102-150405")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		w.Write([]byte("\xef\xbb\xbf")) // BOM: Excel opens UTF-8 Chinese correctly
		cw := csv.NewWriter(w)
		cw.Write([]string{"序号 seq", "时间 time", "操作人 actor", "角色 role", "机构 org_id", "操作 action", "对象类型 object_type", "对象 object_id", "原因 reason", "详情 detail", "请求 request_id", "地址 client_ip", "哈希 hash"})
		for _, e := range evs {
			cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.Time.In(shanghai).Format(time.RFC3339), e.ActorName, e.ActorRole,
				strconv.FormatInt(e.ActorOrgID, 10), e.Action, e.ObjectType, e.ObjectID, e.Reason, e.Detail, e.RequestID, e.ClientIP, hexs(e.Hash)})
		}
		cw.Flush()
		return cw.Error()
	}
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
	enc := json.NewEncoder(w)
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			return nil // client went away
		}
	}
	return nil
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func (s *Server) apiCheckpoints(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	if !shuyu.Can(a, shuyu.ActSystemRead, shuyu.Resource{}) && !shuyu.Can(a, shuyu.ActAuditRead, shuyu.Resource{}) {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "无权查看审计检查点")
	}
	cps, err := s.db.Checkpoints(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, checkpointList{Items: nonNil(cps), Total: len(cps), PublicKey: hexs(s.db.PublicKey())})
	return nil
}

// checkpointList is the signed checkpoints with the key that verifies them.
type checkpointList struct {
	Items     []shuyu.Checkpoint `json:"items" openapi:"notnull"`
	Total     int                `json:"total"`
	PublicKey string             `json:"public_key"` // SM2 public key, hex
}

// checkpointMade answers a checkpoint request: the new checkpoint (201), or
// none and why (200).
type checkpointMade struct {
	Checkpoint *shuyu.Checkpoint `json:"checkpoint"`
	Message    string            `json:"message,omitempty"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) apiCreateCheckpoint(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	cp, err := s.db.Checkpoint(r.Context(), a)
	if err != nil {
		return err
	}
	if cp == nil {
		writeJSON(w, http.StatusOK, checkpointMade{Message: "自上次检查点以来没有新事件 (no new events)"})
		return nil
	}
	writeJSON(w, http.StatusCreated, checkpointMade{Checkpoint: cp})
	return nil
}
