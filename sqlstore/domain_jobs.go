package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Supply job statuses (R10.1).
const (
	JobQueued  = "queued"
	JobLoading = "loading"
	JobDone    = "done"
	JobFailed  = "failed"
)

// SupplyJob is one supply of a dataset version: an upload, a file from the
// drop directory, or the demo (R10.1).
type SupplyJob struct {
	ID           int64            `json:"id"`
	EntryID      int64            `json:"entry_id"`
	EntryCode    string           `json:"entry_code"`
	OrgID        int64            `json:"org_id"`
	UploaderID   int64            `json:"uploader_id"`
	UploaderOrg  int64            `json:"uploader_org"`
	Source       string           `json:"source"` // upload, drop, demo
	FileName     string           `json:"file_name"`
	Format       string           `json:"format"`
	Size         int64            `json:"size"`
	Status       string           `json:"status"`
	ProgressRows int64            `json:"progress_rows"`
	ErrorCode    string           `json:"error_code,omitempty"`
	ErrorMessage string           `json:"error_message,omitempty"`
	Errors       []shuyu.RowError `json:"errors,omitempty"` // row/column/message, never values
	Version      int              `json:"version,omitempty"`
	Rows         int64            `json:"rows"`
	Quality      *float64         `json:"quality,omitempty"`
	Report       json.RawMessage  `json:"report,omitempty"` // vault.QualityReport: counts only
	CreatedAt    time.Time        `json:"created_at"`
	FinishedAt   *time.Time       `json:"finished_at,omitempty"`
}

// SupplyInput describes a supply about to start.
type SupplyInput struct {
	Source   string // upload, drop, demo
	FileName string
	Format   string // csv, xlsx, parquet, jsonl
	Size     int64  // as declared, when known
}

// SupplyResult is what a finished load reports back.
type SupplyResult struct {
	Version      int
	Rows         int64
	Bytes        int64
	Quality      float64
	Report       any // vault.QualityReport
	PublicSource bool
	NonPublic    bool
	Failed       []QualityFailure
}

// QualityFailure is one failed rule of a report, raised automatically as a
// quality issue (R11.1).
type QualityFailure struct {
	Field, Rule, Message string
	Failed               int64
}

// SupplyFormats are the accepted file formats, by extension.
var SupplyFormats = map[string]string{".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}

const jobCols = `j.id, j.entry_id, e.code, j.org_id, j.uploader_id, j.uploader_org, j.source, j.file_name, j.format,
	j.size_bytes, j.status, j.progress_rows, j.error_code, j.error_message, j.errors_json, j.version, j.rows_count,
	j.quality, j.report_json, j.created_at, j.finished_at`

func scanJob(r interface{ Scan(...any) error }) (*SupplyJob, error) {
	var j SupplyJob
	var errs, report string
	var created int64
	var finished sql.NullInt64
	if err := r.Scan(&j.ID, &j.EntryID, &j.EntryCode, &j.OrgID, &j.UploaderID, &j.UploaderOrg, &j.Source, &j.FileName,
		&j.Format, &j.Size, &j.Status, &j.ProgressRows, &j.ErrorCode, &j.ErrorMessage, &errs, &j.Version, &j.Rows,
		&j.Quality, &report, &created, &finished); err != nil {
		return nil, err
	}
	if errs != "" {
		if err := json.Unmarshal([]byte(errs), &j.Errors); err != nil {
			return nil, err
		}
	}
	if report != "" {
		j.Report = json.RawMessage(report)
	}
	j.CreatedAt, j.FinishedAt = fromMicros(created), fromNullMicros(finished)
	return &j, nil
}

func (tx *Tx) supplyJob(id int64) (*SupplyJob, error) {
	j, err := scanJob(tx.queryRow(`SELECT `+jobCols+` FROM domain_jobs j JOIN catalog_entries e ON e.id = j.entry_id WHERE j.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("供给任务")
	}
	return j, err
}

// CheckSupplyName validates an uploaded or dropped file's name and returns
// its format from the extension.
func CheckSupplyName(name string) (string, error) {
	base := filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "" || base == "." || base == "/" || utf8.RuneCountInString(name) > 255 || !utf8.ValidString(name) {
		return "", shuyu.Errorf(shuyu.EINVALID, "文件名无效 (bad file name)")
	}
	f, ok := SupplyFormats[strings.ToLower(filepath.Ext(base))]
	if !ok {
		return "", shuyu.Errorf(shuyu.EINVALID, "不支持的文件格式，应为 .csv、.xlsx、.parquet 或 .jsonl (unsupported format)")
	}
	return f, nil
}

// StartSupply opens a supply job for a published, unsuspended entry (R10.1,
// R27.3) and reserves the entry's name in the domain. action is
// ActDomainSupply (upload) or ActDomainSupplyDrop.
func (d *DB) StartSupply(ctx context.Context, actor *shuyu.Actor, action shuyu.Action, entryID int64, in SupplyInput) (*DomainEntry, *SupplyJob, error) {
	e, err := d.domainEntryFor(ctx, actor, action, entryID)
	if err != nil {
		return nil, nil, err
	}
	format, err := CheckSupplyName(in.FileName)
	if err != nil {
		return nil, nil, err
	}
	if in.Format == "" {
		in.Format = format
	}
	var job *SupplyJob
	err = d.update(ctx, actor, func(tx *Tx) error {
		e, job, err = tx.startSupply(actor, entryID, in)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return e, job, nil
}

// startSupply opens the job inside tx (StartSupply and StartPull): the entry
// re-read, published and not suspended, its domain name reserved, the job
// inserted and audited. in.Format must be set.
func (tx *Tx) startSupply(actor *shuyu.Actor, entryID int64, in SupplyInput) (*DomainEntry, *SupplyJob, error) {
	e, err := tx.domainEntry(entryID) // re-read inside the transaction
	if err != nil {
		return nil, nil, err
	}
	if !e.Published || len(e.Fields) == 0 {
		return nil, nil, shuyu.Errorf(shuyu.ECONFLICT, "目录 %s 尚未发布，不能供给数据 (entry not published)", e.Code)
	}
	if s, err := tx.domainSuspended(entryID); err != nil {
		return nil, nil, err
	} else if s {
		return nil, nil, shuyu.Errorf(shuyu.ECONFLICT, "目录 %s 的数据供给已暂停 (supply suspended, R27.3)", e.Code)
	}
	// R2.1: secret data never enters the data domain (uploads and pulls).
	if err := tx.secretRefuse(entryID, e.Code, e.FieldNames(), "挂接到数据域"); err != nil {
		return nil, nil, err
	}
	if err := tx.domainReserveName(e); err != nil {
		return nil, nil, err
	}
	id, err := tx.insert(`INSERT INTO domain_jobs (entry_id, org_id, uploader_id, uploader_org, source, file_name, format,
		size_bytes, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.OrgID, actor.UserID, actor.OrgID, in.Source, filepath.Base(in.FileName), in.Format, in.Size, JobLoading, micros(tx.now))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: start supply: %w", err)
	}
	job, err := tx.supplyJob(id)
	if err != nil {
		return nil, nil, err
	}
	return e, job, tx.audit(Change{Action: shuyu.AuditDomainSupplyStart, ObjectType: "domain_job", ObjectID: id,
		Detail: map[string]any{"entry_id": e.ID, "source": in.Source, "file": job.FileName, "format": in.Format, "size": in.Size}})
}

// domainReserveName creates the entry's mount row on first supply: its name
// in the domain must be unique (two codes could map to one name).
func (tx *Tx) domainReserveName(e *DomainEntry) error {
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM domain_mounts WHERE entry_id = ?`, e.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err := tx.exec(`INSERT INTO domain_mounts (entry_id, vault_name) VALUES (?, ?)`, e.ID, e.VaultName)
	if isUnique(err) {
		return shuyu.Errorf(shuyu.ECONFLICT, "资源代码 %s 在数据域中的名称 %s 已被占用 (domain name taken)", e.Code, e.VaultName)
	}
	return err
}

// FinishSupply records a completed load: the job is done, the entry's mount
// moves to the new version, and each failed quality rule is raised as an
// issue routed to the source department (R10.2, R11.1).
func (d *DB) FinishSupply(ctx context.Context, actor *shuyu.Actor, jobID int64, res SupplyResult) (*SupplyJob, error) {
	report, err := json.Marshal(res.Report)
	if err != nil {
		return nil, err
	}
	var job *SupplyJob
	err = d.update(ctx, actor, func(tx *Tx) error {
		job, err = tx.finishSupply(jobID, res, string(report))
		return err
	})
	return job, err
}

// finishSupply records a completed load inside tx (FinishSupply and
// FinishPull).
func (tx *Tx) finishSupply(jobID int64, res SupplyResult, report string) (*SupplyJob, error) {
	j, err := tx.supplyJob(jobID)
	if err != nil {
		return nil, err
	}
	if j.Status != JobLoading && j.Status != JobQueued {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "供给任务已结束 (job already finished)")
	}
	if _, err := tx.exec(`UPDATE domain_jobs SET status = ?, progress_rows = ?, version = ?, rows_count = ?, quality = ?,
		report_json = ?, size_bytes = ?, finished_at = ? WHERE id = ?`, JobDone, res.Rows, res.Version, res.Rows, res.Quality,
		report, res.Bytes, micros(tx.now), jobID); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`UPDATE domain_mounts SET version = ?, rows_count = ?, quality = ?, loaded_at = ?,
		public_source = ?, non_public = ? WHERE entry_id = ?`, res.Version, res.Rows, res.Quality, micros(tx.now),
		res.PublicSource, res.NonPublic, j.EntryID); err != nil {
		return nil, err
	}
	// The catalog's own mounting flag (R10.2, counted in the notice
	// under R31.1) follows the domain: data is attached from now on.
	if _, err := tx.exec(`UPDATE catalog_entries SET mounted = ?, mounted_at = coalesce(mounted_at, ?) WHERE id = ?`,
		true, micros(tx.now), j.EntryID); err != nil {
		return nil, err
	}
	if err := tx.catalogChanged(); err != nil {
		return nil, err
	}
	if err := tx.audit(Change{Action: shuyu.AuditDomainSupplyDone, ObjectType: "domain_job", ObjectID: jobID,
		Detail: map[string]any{"entry_id": j.EntryID, "version": res.Version, "rows": res.Rows, "quality": res.Quality}}); err != nil {
		return nil, err
	}
	if err := tx.autoIssues(j.EntryID, j.OrgID, jobID, res.Version, res.Failed); err != nil {
		return nil, err
	}
	return tx.supplyJob(jobID)
}

// FailSupply records a refused or broken load: the job failed with the
// error's code, message and row list (no values); the mount is unchanged
// (R10.1: never half a version).
func (d *DB) FailSupply(ctx context.Context, actor *shuyu.Actor, jobID int64, cause error) (*SupplyJob, error) {
	var job *SupplyJob
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		job, err = tx.failSupply(jobID, cause)
		return err
	})
	return job, err
}

// failSupply records a failed load inside tx (FailSupply and FailPull).
func (tx *Tx) failSupply(jobID int64, cause error) (*SupplyJob, error) {
	code, msg := shuyu.ErrorCode(cause), shuyu.ErrorMessage(cause)
	var rows []shuyu.RowError
	switch det := shuyu.ErrorDetails(cause).(type) {
	case []shuyu.RowError:
		rows = det
	case []shuyu.FieldError:
		for _, f := range det {
			rows = append(rows, shuyu.RowError{Column: f.Field, Message: f.Message})
		}
	}
	errs := ""
	if len(rows) > 0 {
		b, _ := json.Marshal(rows)
		errs = string(b)
	}
	j, err := tx.supplyJob(jobID)
	if err != nil {
		return nil, err
	}
	if j.Status == JobDone || j.Status == JobFailed {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "供给任务已结束 (job already finished)")
	}
	if _, err := tx.exec(`UPDATE domain_jobs SET status = ?, error_code = ?, error_message = ?, errors_json = ?, finished_at = ?
		WHERE id = ?`, JobFailed, code, msg, errs, micros(tx.now), jobID); err != nil {
		return nil, err
	}
	if err := tx.audit(Change{Action: shuyu.AuditDomainSupplyFailed, ObjectType: "domain_job", ObjectID: jobID,
		Detail: map[string]any{"entry_id": j.EntryID, "code": code, "row_errors": len(rows)}}); err != nil {
		return nil, err
	}
	return tx.supplyJob(jobID)
}

// RecoverSupplyJobs marks jobs left queued or loading by a crash as failed
// (the vault dropped their half-built tables on open, so the previous
// version is still current). Run it at start-up, before serving.
func (d *DB) RecoverSupplyJobs(ctx context.Context) (int, error) {
	var n int
	err := d.view(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT count(*) FROM domain_jobs WHERE status IN (?, ?)`, JobQueued, JobLoading).Scan(&n)
	})
	if err != nil || n == 0 {
		return 0, err
	}
	err = d.update(ctx, shuyu.System, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE domain_jobs SET status = ?, error_code = ?, error_message = ?, finished_at = ?
			WHERE status IN (?, ?)`, JobFailed, shuyu.EINTERNAL, "平台重启，加载中断，上一版本保持不变 (interrupted by a restart; previous version kept)",
			micros(tx.now), JobQueued, JobLoading)
		if err != nil {
			return err
		}
		c, _ := res.RowsAffected()
		n = int(c)
		return tx.audit(Change{Action: shuyu.AuditDomainSupplyRecovered, ObjectType: "domain_job", ObjectID: "*",
			Detail: map[string]any{"failed": n}})
	})
	return n, err
}

// SupplyJob returns one job, authorized by its entry.
func (d *DB) SupplyJob(ctx context.Context, actor *shuyu.Actor, id int64) (*SupplyJob, error) {
	var j *SupplyJob
	var e *DomainEntry
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if j, err = tx.supplyJob(id); err != nil {
			return err
		}
		e, err = tx.domainEntry(j.EntryID)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The uploader always sees its own job; others need read on the entry.
	if actor == nil || actor.UserID != j.UploaderID {
		if err := shuyu.Authorize(actor, shuyu.ActDomainRead, e.Resource()); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// SupplyJobs lists an entry's jobs, newest first.
func (d *DB) SupplyJobs(ctx context.Context, actor *shuyu.Actor, entryID int64, limit int) ([]*SupplyJob, error) {
	if _, err := d.domainEntryFor(ctx, actor, shuyu.ActDomainRead, entryID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []*SupplyJob
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+jobCols+` FROM domain_jobs j JOIN catalog_entries e ON e.id = j.entry_id
			WHERE j.entry_id = ? ORDER BY j.id DESC LIMIT ?`, entryID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	return out, err
}

// LatestReport returns the newest done job of an entry (its quality report).
func (d *DB) LatestReport(ctx context.Context, actor *shuyu.Actor, entryID int64) (*SupplyJob, error) {
	if _, err := d.domainEntryFor(ctx, actor, shuyu.ActDomainRead, entryID); err != nil {
		return nil, err
	}
	var j *SupplyJob
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		j, err = scanJob(tx.queryRow(`SELECT `+jobCols+` FROM domain_jobs j JOIN catalog_entries e ON e.id = j.entry_id
			WHERE j.entry_id = ? AND j.status = ? ORDER BY j.id DESC LIMIT 1`, entryID, JobDone))
		if isNoRows(err) {
			return shuyu.Errorf(shuyu.ENOTFOUND, "该目录尚无已完成的供给 (no completed supply)")
		}
		return err
	})
	return j, err
}

// AuditPreview records that actor read raw rows of an entry (R4.2, R28.1:
// the owner's preview is itself audited).
func (d *DB) AuditPreview(ctx context.Context, actor *shuyu.Actor, entryID int64, offset, limit int) error {
	if _, err := d.domainEntryFor(ctx, actor, shuyu.ActDomainPreview, entryID); err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		return tx.audit(Change{Action: shuyu.AuditDomainPreview, ObjectType: "catalog_entry", ObjectID: entryID,
			Detail: map[string]any{"offset": offset, "limit": limit}})
	})
}
