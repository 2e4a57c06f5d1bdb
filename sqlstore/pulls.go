package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
	"shuyu/keys"
)

// Scheduled pulls (issue 18; R10.1, R10.2, R11.1). A pull source belongs to
// a catalog entry; each pull opens an ordinary supply job (domain_jobs) in
// the same transaction as its pull_runs row, so a pull goes through the one
// supply path: the same build, quality rules, progress, audit and atomic
// version switch as an upload.

// Pull source kinds.
const (
	PullPostgres = "postgres" // PostgreSQL protocol (also KingbaseES, openGauss in PostgreSQL mode)
	PullMySQL    = "mysql"    // MySQL protocol (MySQL, MariaDB, TiDB, OceanBase MySQL mode)
	PullHTTP     = "http"     // the sharing platform's HTTP JSON interface, HMAC-SM3 signed
)

// PullKinds lists the kinds, in the order forms offer them.
var PullKinds = []string{PullPostgres, PullMySQL, PullHTTP}

// Pull modes.
const (
	PullSnapshot    = "snapshot"    // every pull reads the whole table; deletes are detected
	PullIncremental = "incremental" // rows past the watermark, merged onto the current version by key
)

// Pull source statuses.
const (
	PullStatusNew     = "new"     // registered, never pulled
	PullStatusOK      = "ok"      // the last pull succeeded
	PullStatusFailing = "failing" // the last pull failed: a scheduled one is retried with backoff in its window, a manual one waits for the schedule
	PullStatusOverdue = "overdue" // a scheduled pull failed for good or did not run in its window
)

// Pull run statuses and triggers.
const (
	PullRunRunning = "running"
	PullRunDone    = "done"
	PullRunFailed  = "failed"

	PullBySchedule = "schedule"
	PullByHand     = "manual"
	PullByRetry    = "retry"
)

// Error kinds a failed pull reports to the department.
const (
	PullErrConnection = "connection"     // the source could not be reached
	PullErrAuth       = "authentication" // the source refused the credential or the signature
	PullErrMapping    = "mapping"        // source columns and entry fields disagree
	PullErrQuality    = "quality"        // the data failed the entry's rules
	PullErrSource     = "source"         // the source answered with an error
	PullErrInternal   = "internal"
)

// PullConfig is a source's address, what it reads and how (never the secret).
type PullConfig struct {
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Database string `json:"database,omitempty"`
	User     string `json:"user,omitempty"`
	TLS      bool   `json:"tls,omitempty"`   // require TLS to the database
	Table    string `json:"table,omitempty"` // [schema.]table, or
	Query    string `json:"query,omitempty"` // one SELECT statement

	URL      string `json:"url,omitempty"` // HTTP: the page endpoint
	AppKey   string `json:"app_key,omitempty"`
	PageSize int    `json:"page_size,omitempty"`

	// Mapping: entry field → source column; a field not listed reads the
	// column of its own name.
	Mapping   map[string]string `json:"mapping,omitempty"`
	Mode      string            `json:"mode"`
	Watermark string            `json:"watermark,omitempty"` // source column (incremental)
	Key       []string          `json:"key,omitempty"`       // entry fields that identify a row
}

// Column returns the source column of entry field f.
func (c *PullConfig) Column(f string) string {
	if s, ok := c.Mapping[f]; ok && s != "" {
		return s
	}
	return f
}

// PullSource is a registered source as anyone may be shown it: the secret
// is never part of it (HasSecret says whether one is stored).
type PullSource struct {
	ID            int64      `json:"id"`
	EntryID       int64      `json:"entry_id"`
	EntryCode     string     `json:"entry_code"`
	OrgID         int64      `json:"org_id"`
	Region        string     `json:"-"`
	UpdateFreq    string     `json:"update_freq"`
	Name          string     `json:"name"`
	Kind          string     `json:"kind"`
	Config        PullConfig `json:"config"`
	HasSecret     bool       `json:"has_secret"`
	WindowStart   string     `json:"window_start"` // HH:MM, China Standard Time
	WindowEnd     string     `json:"window_end"`
	Enabled       bool       `json:"enabled"`
	Status        string     `json:"status"`
	Watermark     string     `json:"watermark"`
	Failures      int        `json:"failures"`
	LastError     string     `json:"last_error,omitempty"`      // the last failure's message, as its pull run records it
	LastErrorKind string     `json:"last_error_kind,omitempty"` // its kind: connection, authentication, mapping, quality, source, internal
	LastRunAt     *time.Time `json:"last_run_at,omitempty"`
	NextRunAt     *time.Time `json:"next_run_at,omitempty"`
	RequestedAt   *time.Time `json:"requested_at,omitempty"` // a "run now" asked of the domain owner (RequestPull), not yet started
	CreatedAt     time.Time  `json:"created_at"`
}

// Resource is the source as the policy sees it: its entry.
func (p *PullSource) Resource() shuyu.Resource {
	return shuyu.Resource{Kind: "domain_entry", OrgID: p.OrgID, Region: p.Region, Exists: true}
}

// Window returns the source's daily window.
func (p *PullSource) Window() PullWindow {
	w, _ := ParseWindow(p.WindowStart, p.WindowEnd)
	return w
}

// PullSourceInput registers or changes a source. Secret "" on a change
// keeps the stored one.
type PullSourceInput struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	Config      PullConfig `json:"config"`
	Secret      string     `json:"secret,omitempty"` // password or app secret: sealed, never shown back
	WindowStart string     `json:"window_start,omitempty"`
	WindowEnd   string     `json:"window_end,omitempty"`
	Enabled     *bool      `json:"enabled,omitempty"`
}

// PullRun is one pull with its reconciliation.
type PullRun struct {
	ID             int64      `json:"id"`
	SourceID       int64      `json:"source_id"`
	EntryID        int64      `json:"entry_id"`
	JobID          int64      `json:"job_id"`
	Trigger        string     `json:"trigger"`
	Attempt        int        `json:"attempt"`
	Mode           string     `json:"mode"`
	Status         string     `json:"status"`
	ErrorKind      string     `json:"error_kind,omitempty"`
	ErrorMessage   string     `json:"error_message,omitempty"`
	WatermarkFrom  string     `json:"watermark_from"`
	WatermarkTo    string     `json:"watermark_to"`
	SourceRows     int64      `json:"source_rows"`
	PulledRows     int64      `json:"pulled_rows"`
	LoadedRows     int64      `json:"loaded_rows"`
	VersionRows    int64      `json:"version_rows"`
	DeletedRows    int64      `json:"deleted_rows"`
	SourceChecksum string     `json:"source_checksum"`
	DomainChecksum string     `json:"domain_checksum"`
	Reconciled     bool       `json:"reconciled"`
	Version        int        `json:"version,omitempty"`
	StartedAt      time.Time  `json:"started_at"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`
}

// PullReconciliation is what a finished pull counted on both sides.
type PullReconciliation struct {
	WatermarkTo    string
	SourceRows     int64 // the source's count of the pulled snapshot
	PulledRows     int64 // rows the puller streamed
	LoadedRows     int64 // rows the domain parsed from the stream
	VersionRows    int64 // rows of the new version
	DeletedRows    int64
	SourceChecksum []byte // SM3 of the stream as produced
	DomainChecksum []byte // SM3 the new version records (the puller's, once the domain verified the hand-over)
}

// Reconciled: every row the source counted was streamed and parsed, and the
// domain received the stream the puller produced, byte for byte.
func (r PullReconciliation) Reconciled() bool {
	return r.SourceRows == r.PulledRows && r.PulledRows == r.LoadedRows &&
		len(r.SourceChecksum) > 0 && string(r.SourceChecksum) == string(r.DomainChecksum)
}

var (
	pullIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)
	pullField = regexp.MustCompile(`^[A-Za-z_\p{Han}][A-Za-z0-9_\p{Han}]{0,62}$`)
)

// checkPullInput validates in against entry e (fields, key, mapping) and
// returns the window; nothing is connected here (supply.Service checks
// the source's own columns before the first run).
func checkPullInput(in *PullSourceInput, e *DomainEntry, creating bool) (PullWindow, error) {
	var fe []shuyu.FieldError
	bad := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 100 {
		bad("name", "须填写，不超过100字 (required, at most 100 characters)")
	}
	c := &in.Config
	switch in.Kind {
	case PullPostgres, PullMySQL:
		switch {
		case PullCredentialInValue(c.Host):
			bad("config.host", pullNoCredential)
		case c.Host == "" || len(c.Host) > 255 || strings.ContainsAny(c.Host, " /@?#"):
			bad("config.host", "主机无效 (bad host)")
		}
		if c.Port <= 0 || c.Port > 65535 {
			bad("config.port", "端口无效 (bad port)")
		}
		if c.Database == "" || len(c.Database) > 128 {
			bad("config.database", "须填写数据库名 (database required)")
		}
		if c.User == "" || len(c.User) > 128 {
			bad("config.user", "须填写用户名 (user required)")
		}
		// A connection string pasted into a field would carry its password
		// into the stored settings, the pages and the audit trail.
		if PullCredentialInValue(c.Database) {
			bad("config.database", pullNoCredential)
		}
		if PullCredentialInValue(c.User) {
			bad("config.user", pullNoCredential)
		}
		switch {
		case (c.Table == "") == (c.Query == ""):
			bad("config.table", "表名与查询语句须且只能填一项 (give a table or a query, not both)")
		case c.Table != "" && !pullIdent.MatchString(c.Table):
			bad("config.table", "表名只能是 [模式.]表名 (table must be [schema.]name)")
		case c.Query != "" && !pullQueryOK(c.Query):
			bad("config.query", "查询须是单条SELECT语句 (query must be one SELECT statement)")
		}
		if c.URL != "" || c.AppKey != "" || c.PageSize != 0 {
			bad("config.url", "数据库来源不填接口地址 (no URL for a database source)")
		}
	case PullHTTP:
		u, err := url.Parse(c.URL)
		switch {
		case PullCredentialInValue(c.URL) || err == nil && u.User != nil:
			bad("config.url", pullNoCredential)
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(c.URL) > 2000:
			bad("config.url", "接口地址须是http或https地址 (url must be http(s))")
		}
		if c.AppKey == "" || len(c.AppKey) > 200 {
			bad("config.app_key", "须填写应用标识 (app key required)")
		}
		if c.PageSize < 0 || c.PageSize > 10000 {
			bad("config.page_size", "每页条数为1至10000 (page size 1..10000)")
		}
		if c.PageSize == 0 {
			c.PageSize = 1000
		}
		if c.Host != "" || c.Table != "" || c.Query != "" || c.Database != "" {
			bad("config.host", "接口来源不填数据库信息 (no database settings for an HTTP source)")
		}
	default:
		bad("kind", "来源类型须是 postgres、mysql 或 http (kind must be postgres, mysql or http)")
	}
	fields := map[string]bool{}
	for _, f := range e.Fields {
		fields[f.Name] = true
	}
	for f, col := range c.Mapping {
		if !fields[f] {
			bad("config.mapping."+f, "不是本目录的信息项 (not a field of the entry)")
		}
		if !pullField.MatchString(col) {
			bad("config.mapping."+f, "来源列名无效 (bad source column name)")
		}
	}
	switch c.Mode {
	case PullSnapshot:
		if c.Watermark != "" {
			bad("config.watermark", "全量快照不用水位列 (no watermark for snapshots)")
		}
	case PullIncremental:
		if !pullField.MatchString(c.Watermark) {
			bad("config.watermark", "增量拉取须指定水位列，如 updated_at 或自增编号 (incremental needs a watermark column)")
		}
		if len(c.Key) == 0 {
			bad("config.key", "增量拉取须指定主键信息项 (incremental needs key fields)")
		}
	default:
		bad("config.mode", "方式须是 snapshot 或 incremental (mode must be snapshot or incremental)")
	}
	for _, k := range c.Key {
		if !fields[k] {
			bad("config.key", "主键 "+k+" 不是本目录的信息项 (key is not a field of the entry)")
		}
	}
	if creating && in.Secret == "" {
		bad("secret", "须填写密码或应用密钥 (password or app secret required)")
	}
	if len(in.Secret) > 1000 {
		bad("secret", "过长 (too long)")
	}
	if in.WindowStart == "" {
		in.WindowStart = "01:00"
	}
	if in.WindowEnd == "" {
		in.WindowEnd = "05:00"
	}
	w, err := ParseWindow(in.WindowStart, in.WindowEnd)
	if err != nil {
		bad("window_start", "时间窗口须是 HH:MM，且开始早于结束 (window must be HH:MM with start before end)")
	}
	if len(fe) > 0 {
		return w, shuyu.Errorf(shuyu.EINVALID, "拉取来源设置有误 (bad pull source)").WithDetails(fe)
	}
	return w, nil
}

const pullNoCredential = "不要在此处写密码或连接串，密码请填在密码栏 (no password or connection string here: use the password field)"

var pullCredential = regexp.MustCompile(`(?i)://[^/@\s]*@|(^|[?&;\s])(password|passwd|pwd|secret|app_secret|token)=`)

// PullCredentialInValue reports whether a setting looks like it carries a
// credential: a connection string or URL with a user and password, or a
// password= style parameter. Such a value is refused, and the page does not
// write it back into the form.
func PullCredentialInValue(v string) bool { return pullCredential.MatchString(v) }

// pullQueryOK accepts one SELECT (or WITH … SELECT) statement: no
// semicolon, so nothing runs after it. The source account should be
// read-only in any case (docs/supply-pulls.md).
func pullQueryOK(q string) bool {
	t := strings.ToLower(strings.TrimSpace(q))
	return len(q) <= 10000 && !strings.Contains(q, ";") && (strings.HasPrefix(t, "select ") || strings.HasPrefix(t, "select\n") ||
		strings.HasPrefix(t, "with "))
}

// pullAD binds a sealed secret to its source row.
func pullAD(id int64) []byte { return []byte("shuyu/pull_sources/secret/" + strconv.FormatInt(id, 10)) }

func (d *DB) sealPullSecret(id int64, secret string) (string, error) {
	b, err := d.keys.Seal(keys.KEK, []byte(secret), pullAD(id))
	if err != nil {
		return "", fmt.Errorf("sqlstore: seal pull secret: %w", err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(b), nil
}

const pullSourceCols = `p.id, p.entry_id, e.code, p.org_id, e.region, coalesce(r.update_freq, ''), p.name, p.kind, p.config_json,
	p.secret <> '', p.window_start, p.window_end, p.enabled, p.status, p.watermark, p.failures, p.last_error,
	coalesce((SELECT x.error_kind FROM pull_runs x WHERE x.source_id = p.id ORDER BY x.id DESC LIMIT 1), ''),
	p.last_run_at, p.next_run_at, p.requested_at, p.created_at`

const pullSourceFrom = ` FROM pull_sources p JOIN catalog_entries e ON e.id = p.entry_id
	LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id`

func scanPullSource(r interface{ Scan(...any) error }) (*PullSource, error) {
	var p PullSource
	var cfg string
	var ws, we int
	var last, next, requested sql.NullInt64
	var created int64
	if err := r.Scan(&p.ID, &p.EntryID, &p.EntryCode, &p.OrgID, &p.Region, &p.UpdateFreq, &p.Name, &p.Kind, &cfg,
		&p.HasSecret, &ws, &we, &p.Enabled, &p.Status, &p.Watermark, &p.Failures, &p.LastError, &p.LastErrorKind, &last, &next, &requested, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cfg), &p.Config); err != nil {
		return nil, err
	}
	p.WindowStart, p.WindowEnd = hhmm(ws), hhmm(we)
	if p.LastError == "" {
		p.LastErrorKind = ""
	}
	p.LastRunAt, p.NextRunAt, p.RequestedAt, p.CreatedAt = fromNullMicros(last), fromNullMicros(next), fromNullMicros(requested), fromMicros(created)
	return &p, nil
}

func (tx *Tx) pullSource(id int64) (*PullSource, error) {
	p, err := scanPullSource(tx.queryRow(`SELECT `+pullSourceCols+pullSourceFrom+` WHERE p.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("拉取来源")
	}
	return p, err
}

// RegisterPullSource records a source for entry (R10.1): the department
// for its own entries, the authority or the operator for any. The secret
// is sealed with the SM4 KEK, bound to the row, before it is stored; the
// first run is scheduled from the entry's update frequency (R10.2).
func (d *DB) RegisterPullSource(ctx context.Context, actor *shuyu.Actor, entryID int64, in PullSourceInput) (*PullSource, error) {
	e, err := d.domainEntryFor(ctx, actor, shuyu.ActPullManage, entryID)
	if err != nil {
		return nil, err
	}
	if !e.Published {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "目录 %s 尚未发布，不能接入来源 (entry not published)", e.Code)
	}
	w, err := checkPullInput(&in, e, true)
	if err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(in.Config)
	if err != nil {
		return nil, err
	}
	enabled := in.Enabled == nil || *in.Enabled
	var out *PullSource
	err = d.update(ctx, actor, func(tx *Tx) error {
		var next any
		if t, ok := NextPull(e.UpdateFreq, w, nil, tx.now); ok && enabled {
			next = micros(t)
		}
		id, err := tx.insert(`INSERT INTO pull_sources (entry_id, org_id, name, kind, config_json, window_start, window_end,
			enabled, status, next_run_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.OrgID, in.Name, in.Kind, string(cfg), w.Start, w.End, enabled, PullStatusNew, next, actor.UserID,
			micros(tx.now), micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "该目录已有同名来源 (a source of that name exists)")
		}
		if err != nil {
			return err
		}
		sealed, err := d.sealPullSecret(id, in.Secret)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE pull_sources SET secret = ? WHERE id = ?`, sealed, id); err != nil {
			return err
		}
		if out, err = tx.pullSource(id); err != nil {
			return err
		}
		// The config has no secret; the audit records where, not how to log in.
		return tx.audit(Change{Action: shuyu.AuditPullSourceRegister, ObjectType: "pull_source", ObjectID: id,
			Detail: map[string]any{"entry_id": e.ID, "kind": in.Kind, "name": in.Name, "mode": in.Config.Mode,
				"host": in.Config.Host, "url": in.Config.URL, "window": w.String()}})
	})
	return out, err
}

// UpdatePullSource changes a source; an empty secret keeps the stored one.
func (d *DB) UpdatePullSource(ctx context.Context, actor *shuyu.Actor, id int64, in PullSourceInput) (*PullSource, error) {
	var out *PullSource
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.pullSource(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActPullManage, p.Resource()); err != nil {
			return err
		}
		e, err := tx.domainEntry(p.EntryID)
		if err != nil {
			return err
		}
		w, err := checkPullInput(&in, e, false)
		if err != nil {
			return err
		}
		cfg, err := json.Marshal(in.Config)
		if err != nil {
			return err
		}
		enabled := in.Enabled == nil || *in.Enabled
		var next any
		if t, ok := NextPull(e.UpdateFreq, w, p.LastRunAt, tx.now); ok && enabled {
			next = micros(t)
		}
		// A changed table, query, mapping or mode starts afresh: the old
		// watermark belongs to another reading of the source.
		wm := p.Watermark
		if in.Config.Table != p.Config.Table || in.Config.Query != p.Config.Query || in.Config.Mode != p.Config.Mode ||
			in.Config.Watermark != p.Config.Watermark || in.Kind != p.Kind {
			wm = ""
		}
		if _, err := tx.exec(`UPDATE pull_sources SET name = ?, kind = ?, config_json = ?, window_start = ?, window_end = ?,
			enabled = ?, next_run_at = ?, watermark = ?, updated_at = ? WHERE id = ?`, in.Name, in.Kind, string(cfg), w.Start, w.End,
			enabled, next, wm, micros(tx.now), id); err != nil {
			return err
		}
		if in.Secret != "" {
			sealed, err := d.sealPullSecret(id, in.Secret)
			if err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE pull_sources SET secret = ? WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		if out, err = tx.pullSource(id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPullSourceUpdate, ObjectType: "pull_source", ObjectID: id,
			Detail: map[string]any{"kind": in.Kind, "mode": in.Config.Mode, "enabled": enabled, "secret_changed": in.Secret != ""}})
	})
	return out, err
}

// PullSource returns one source (no secret).
func (d *DB) PullSource(ctx context.Context, actor *shuyu.Actor, id int64) (*PullSource, error) {
	var p *PullSource
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.pullSource(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActPullRead, p.Resource()); err != nil {
		return nil, err
	}
	return p, nil
}

// PullSources lists an entry's sources (no secrets).
func (d *DB) PullSources(ctx context.Context, actor *shuyu.Actor, entryID int64) ([]*PullSource, error) {
	if _, err := d.domainEntryFor(ctx, actor, shuyu.ActPullRead, entryID); err != nil {
		return nil, err
	}
	return d.pullSourcesWhere(ctx, `p.entry_id = ?`, entryID)
}

func (d *DB) pullSourcesWhere(ctx context.Context, where string, args ...any) ([]*PullSource, error) {
	out := []*PullSource{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+pullSourceCols+pullSourceFrom+` WHERE `+where+` ORDER BY p.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPullSource(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// PullSecret opens a source's sealed secret for the puller (package
// supply), which passes it to the source's driver and nowhere else. Only
// an actor who may run the source gets it.
func (d *DB) PullSecret(ctx context.Context, actor *shuyu.Actor, id int64) (string, error) {
	var p *PullSource
	var sealed string
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if p, err = tx.pullSource(id); err != nil {
			return err
		}
		return tx.queryRow(`SELECT secret FROM pull_sources WHERE id = ?`, id).Scan(&sealed)
	})
	if err != nil {
		return "", err
	}
	if err := shuyu.Authorize(actor, shuyu.ActPullRun, p.Resource()); err != nil {
		return "", err
	}
	if !strings.HasPrefix(sealed, sealedPrefix) {
		return "", fmt.Errorf("sqlstore: pull source %d: secret not sealed", id)
	}
	b, err := base64.StdEncoding.DecodeString(sealed[len(sealedPrefix):])
	if err == nil {
		b, err = d.keys.Open(keys.KEK, b, pullAD(id))
	}
	if err != nil {
		return "", fmt.Errorf("sqlstore: open pull secret %d: %w", id, err)
	}
	return string(b), nil
}

// CheckPullSource validates a source's settings against its entry without
// recording anything (the puller then connects before RegisterPullSource).
func (d *DB) CheckPullSource(ctx context.Context, actor *shuyu.Actor, entryID int64, in PullSourceInput) error {
	e, err := d.domainEntryFor(ctx, actor, shuyu.ActPullManage, entryID)
	if err != nil {
		return err
	}
	if !e.Published {
		return shuyu.Errorf(shuyu.ECONFLICT, "目录 %s 尚未发布，不能接入来源 (entry not published)", e.Code)
	}
	_, err = checkPullInput(&in, e, true)
	return err
}
