package supply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// Scheduled pulls (issue 18; R10.1, R10.2): rows stream from a
// department's front-end database or the sharing platform's interface, as
// text values in the entry's field order, through vault.StageRows — batches
// appended by DuckDB's appender into a private staging table, with no lock
// held and no staging file — and are then built like any upload (fair
// queue, vault.Build: the entry's types, quality rules, the atomic version
// switch), recorded with the pull's reconciliation (sqlstore.FinishPull /
// FailPull). Memory is bounded by a few batches of rows whatever the
// table's size.

// pullError is a failure with the kind the department is told
// (connection, authentication, mapping, quality, source).
type pullError struct {
	kind string
	err  *shuyu.Error
}

func (e *pullError) Error() string { return e.err.Error() }
func (e *pullError) Unwrap() error { return e.err }

func pullErr(kind string, code string, format string, args ...any) error {
	return &pullError{kind: kind, err: shuyu.Errorf(code, format, args...)}
}

// pullKind classifies an error of a pull: a pullError says its kind; a
// refused file (bad values, rules) is a quality failure; a header the
// entry does not know is a mapping failure.
func pullKind(err error) string {
	var pe *pullError
	if errors.As(err, &pe) {
		return pe.kind
	}
	switch shuyu.ErrorCode(err) {
	case shuyu.EUNPROCESSABLE:
		return sqlstore.PullErrQuality
	case shuyu.EINVALID:
		if _, ok := shuyu.ErrorDetails(err).([]shuyu.FieldError); ok {
			return sqlstore.PullErrMapping
		}
		return sqlstore.PullErrQuality
	case shuyu.ECONFLICT:
		return sqlstore.PullErrMapping
	}
	return sqlstore.PullErrInternal
}

// pullStats is what a connector counted while streaming.
type pullStats struct {
	sourceRows int64  // the source's own count of what it was asked for
	rows       int64  // rows written
	watermark  string // the largest watermark value among them (incremental)
}

// connector reads one source.
type connector interface {
	// columns lists the source's columns without reading rows.
	columns(ctx context.Context) ([]string, error)
	// pull writes the mapped rows past since ("" = all) to w, each row's
	// values in the entry's field order, as text.
	pull(ctx context.Context, w *vault.RowWriter, since string) (pullStats, error)
	close()
}

// checkMapping holds the source's columns against the entry's fields
// before any row is read (issue 18): every field's column must exist, and
// the source may offer no column the entry does not take (besides the
// watermark). It returns, per field, the source's spelling of its column.
func checkMapping(e *sqlstore.DomainEntry, cfg *sqlstore.PullConfig, source []string) ([]string, error) {
	have := map[string]string{}
	for _, c := range source {
		have[strings.ToLower(c)] = c
	}
	used := map[string]bool{}
	var fe []shuyu.FieldError
	var missing []string
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		col := cfg.Column(f.Name)
		real, ok := have[strings.ToLower(col)]
		if !ok {
			fe = append(fe, shuyu.FieldError{Field: f.Name, Message: fmt.Sprintf("来源缺少列 %s (source has no column %s)", col, col)})
			missing = append(missing, col)
			continue
		}
		used[strings.ToLower(col)] = true
		out[i] = real
	}
	if cfg.Mode == sqlstore.PullIncremental {
		if _, ok := have[strings.ToLower(cfg.Watermark)]; !ok {
			fe = append(fe, shuyu.FieldError{Field: cfg.Watermark, Message: "来源缺少水位列 (source has no watermark column)"})
			missing = append(missing, cfg.Watermark)
		}
		used[strings.ToLower(cfg.Watermark)] = true
	}
	var extra []string
	for _, c := range source {
		if !used[strings.ToLower(c)] {
			extra = append(extra, c)
		}
	}
	sort.Strings(extra)
	for _, c := range extra {
		fe = append(fe, shuyu.FieldError{Field: c, Message: "来源多出目录没有的列，请在查询中去掉或映射 (extra source column: drop it in the query or map it)"})
	}
	if len(fe) > 0 {
		// The message itself names the columns (identifiers, never
		// values): it is what the run history, the source's last error
		// and the department's notice keep, without the details.
		var zh, en []string
		if len(missing) > 0 {
			zh, en = append(zh, "缺少 "+colList(missing, "、", "等%d列")), append(en, "missing "+colList(missing, ", ", " and %d more"))
		}
		if len(extra) > 0 {
			zh, en = append(zh, "多出 "+colList(extra, "、", "等%d列")), append(en, "extra "+colList(extra, ", ", " and %d more"))
		}
		return nil, &pullError{kind: sqlstore.PullErrMapping,
			err: shuyu.Errorf(shuyu.EINVALID, "来源的列与目录信息项不符：%s (source columns do not match the entry's fields: %s)",
				strings.Join(zh, "；"), strings.Join(en, "; ")).WithDetails(fe)}
	}
	return out, nil
}

// colList joins at most ten column names; more are counted with more.
func colList(cols []string, sep, more string) string {
	if len(cols) <= 10 {
		return strings.Join(cols, sep)
	}
	return strings.Join(cols[:10], sep) + fmt.Sprintf(more, len(cols)-10)
}

// open returns the connector of a source.
func openConnector(ctx context.Context, p *sqlstore.PullSource, secret string, e *sqlstore.DomainEntry) (connector, error) {
	switch p.Kind {
	case sqlstore.PullPostgres:
		return openPG(ctx, p, secret, e)
	case sqlstore.PullMySQL:
		return openMySQL(ctx, p, secret, e)
	case sqlstore.PullHTTP:
		return newHTTPSource(p, secret, e), nil
	}
	return nil, pullErr(sqlstore.PullErrSource, shuyu.EINVALID, "未知的来源类型 (unknown source kind)")
}

// PullCheck is the answer of a connection test.
type PullCheck struct {
	OK        bool               `json:"ok"`
	Kind      string             `json:"error_kind,omitempty"` // connection, authentication, mapping, source
	Message   string             `json:"message,omitempty"`
	Problems  []shuyu.FieldError `json:"problems,omitempty"` // mapping: missing and extra columns
	Columns   int                `json:"columns"`            // source columns seen
	ErrorCode string             `json:"-"`
}

// checkSource connects, lists the columns and checks the mapping.
func checkSource(ctx context.Context, p *sqlstore.PullSource, secret string, e *sqlstore.DomainEntry) (*PullCheck, error) {
	c, err := openConnector(ctx, p, secret, e)
	out := &PullCheck{}
	if err == nil {
		defer c.close()
		var cols []string
		if cols, err = c.columns(ctx); err == nil {
			out.Columns = len(cols)
			_, err = checkMapping(e, &p.Config, cols)
		}
	}
	if err != nil {
		var pe *pullError
		if !errors.As(err, &pe) {
			return nil, err
		}
		out.Kind, out.Message, out.ErrorCode = pe.kind, pe.err.Message, pe.err.Code
		if fe, ok := pe.err.Details.([]shuyu.FieldError); ok {
			out.Problems = fe
		}
		return out, nil
	}
	out.OK = true
	return out, nil
}

// sourceOf is a registered source with a submitted change applied, for a
// test before saving; a change without a secret uses the stored one.
func (s *Service) sourceOf(ctx context.Context, a *shuyu.Actor, e *sqlstore.DomainEntry, id int64, in sqlstore.PullSourceInput) (*sqlstore.PullSource, string, error) {
	p := &sqlstore.PullSource{ID: id, EntryID: e.ID, EntryCode: e.Code, OrgID: e.OrgID, Region: e.Region,
		UpdateFreq: e.UpdateFreq, Name: in.Name, Kind: in.Kind, Config: in.Config}
	secret := in.Secret
	if secret == "" && id != 0 {
		var err error
		if secret, err = s.db.PullSecret(ctx, a, id); err != nil {
			return nil, "", err
		}
	}
	if p.Kind == sqlstore.PullHTTP && p.Config.PageSize == 0 {
		p.Config.PageSize = 1000
	}
	return p, secret, nil
}

// TestPullSource connects to a source as submitted (id 0: not yet
// registered) and checks its columns against the entry (issue 18: the
// mapping is checked before the first run). The answer never carries the
// secret or the driver's own text.
func (s *Service) TestPullSource(ctx context.Context, a *shuyu.Actor, entryID, id int64, in sqlstore.PullSourceInput) (*PullCheck, error) {
	e, err := s.db.AuthorizeDomain(ctx, a, shuyu.ActPullManage, entryID)
	if err != nil {
		return nil, err
	}
	if id != 0 {
		if p, err := s.db.PullSource(ctx, a, id); err != nil {
			return nil, err
		} else if p.EntryID != entryID {
			return nil, shuyu.Errorf(shuyu.ENOTFOUND, "拉取来源不存在 (not found)")
		}
	} else if err := s.db.CheckPullSource(ctx, a, entryID, in); err != nil {
		// A form not yet saved is validated before anything is dialled
		// (a connection string pasted into the host is refused, not
		// looked up).
		return nil, err
	}
	p, secret, err := s.sourceOf(ctx, a, e, id, in)
	if err != nil {
		return nil, err
	}
	return checkSource(ctx, p, secret, e)
}

// RegisterPullSource checks a source against its entry — reachable,
// credential accepted, columns matching the fields — and only then records
// it with its secret sealed (issue 18).
func (s *Service) RegisterPullSource(ctx context.Context, a *shuyu.Actor, entryID int64, in sqlstore.PullSourceInput) (*sqlstore.PullSource, error) {
	e, err := s.db.AuthorizeDomain(ctx, a, shuyu.ActPullManage, entryID)
	if err != nil {
		return nil, err
	}
	// The store validates the input first, so a bad form is answered
	// before any connection is tried.
	if err := s.db.CheckPullSource(ctx, a, entryID, in); err != nil {
		return nil, err
	}
	p, secret, err := s.sourceOf(ctx, a, e, 0, in)
	if err != nil {
		return nil, err
	}
	chk, err := checkSource(ctx, p, secret, e)
	if err != nil {
		return nil, err
	}
	if !chk.OK {
		return nil, shuyu.Errorf(shuyu.EUNPROCESSABLE, "来源检查未通过：%s (source check failed)", chk.Message).WithDetails(chk.Problems)
	}
	return s.db.RegisterPullSource(ctx, a, entryID, in)
}

// RunPull starts a pull of source id now ("run now", or the scheduler's
// trigger) as a supply job and returns at once; the pull goes on in the
// background with its progress in Job (R10.1).
func (s *Service) RunPull(ctx context.Context, a *shuyu.Actor, id int64, trigger string) (*sqlstore.PullStart, *Progress, error) {
	if err := s.Ready(); err != nil {
		return nil, nil, err
	}
	secret, err := s.db.PullSecret(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.db.StartPull(ctx, a, id, trigger)
	if err != nil {
		return nil, nil, err
	}
	pl := &pullJob{run: ps.Run, src: ps.Source}
	src, e := ps.Source, ps.Entry
	if src.Config.Mode == sqlstore.PullIncremental {
		pl.merge = keyFields(src.Config.Key)
	} else {
		pl.diff = keyFields(src.Config.Key)
	}
	p := s.run(a, e, ps.Job, func(ctx context.Context, opt vault.LoadOptions) (*vault.Staged, error) {
		return s.stagePull(ctx, src, secret, e, pl, opt)
	}, pl)
	return ps, p, nil
}

func keyFields(k []string) []string {
	if len(k) == 0 {
		return nil
	}
	return append([]string(nil), k...)
}

// pullJob is what run needs of a pull: its record, its merge or diff key,
// and the reconciliation counted so far.
type pullJob struct {
	run   *sqlstore.PullRun
	src   *sqlstore.PullSource
	merge []string
	diff  []string
	rec   sqlstore.PullReconciliation
}

// stagePull streams the source into the staging directory and checks,
// before anything is built, that every row the source counted arrived and
// that the domain received exactly the bytes the puller produced.
func (s *Service) stagePull(ctx context.Context, src *sqlstore.PullSource, secret string, e *sqlstore.DomainEntry, pl *pullJob, opt vault.LoadOptions) (*vault.Staged, error) {
	c, err := openConnector(ctx, src, secret, e)
	if err != nil {
		return nil, err
	}
	defer c.close()
	cols, err := c.columns(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := checkMapping(e, &src.Config, cols); err != nil {
		return nil, err
	}
	spec, err := Spec(e)
	if err != nil {
		return nil, err
	}
	var stats pullStats
	var rw *vault.RowWriter
	st, err := s.vault.StageRows(ctx, spec, opt, func(ctx context.Context, w *vault.RowWriter) error {
		rw = w
		var err error
		stats, err = c.pull(ctx, w, pl.run.WatermarkFrom)
		return err
	})
	var sum []byte
	if rw != nil {
		// Read once StageRows returned: the last batch is sealed after
		// the puller's function.
		stats.rows, sum = rw.Rows(), rw.Checksum()
	}
	pl.rec.SourceRows, pl.rec.PulledRows, pl.rec.WatermarkTo, pl.rec.SourceChecksum = stats.sourceRows, stats.rows, stats.watermark, sum
	if err != nil {
		return nil, err
	}
	pl.rec.DomainChecksum = st.Checksum()
	if stats.sourceRows != stats.rows || st.Rows() != stats.rows {
		st.Remove()
		return nil, pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT,
			"对账不符：来源计数%d行，实际拉取%d行，本次不生成新版本 (reconciliation failed: source counted %d rows, %d pulled; no new version)",
			stats.sourceRows, stats.rows, stats.sourceRows, stats.rows)
	}
	if string(sum) != string(st.Checksum()) {
		st.Remove()
		return nil, pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT,
			"对账不符：数据域收到的行与拉取的行校验值不同，本次不生成新版本 (reconciliation failed: checksums differ; no new version)")
	}
	return st, nil
}

// RunDuePulls starts the pulls whose time has come (R10.2): scheduled
// ones, retries, and those an operator asked for from the command line. The domain owner calls it every minute; it does not
// wait for them.
func (s *Service) RunDuePulls(ctx context.Context) (int, error) {
	if s.vault == nil {
		return 0, nil
	}
	due, err := s.db.DuePulls(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range due {
		trigger := sqlstore.PullBySchedule
		switch {
		case p.Requested(s.db.Now()):
			trigger = sqlstore.PullByHand // asked for now (sqlstore.RequestPull)
		case p.Status == sqlstore.PullStatusFailing:
			trigger = sqlstore.PullByRetry
		}
		if _, _, err := s.RunPull(ctx, shuyu.System, p.ID, trigger); err != nil {
			s.log.Warn("domain: scheduled pull not started", "source", p.ID, "code", shuyu.ErrorCode(err))
			continue
		}
		n++
	}
	return n, nil
}
