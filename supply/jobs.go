package supply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// Progress is a running job's progress, kept in memory: progress is not a
// state change worth an audit event per tick, and the job's final rows are
// stored when it ends.
type Progress struct {
	rows     atomic.Int64
	received atomic.Int64
	expected atomic.Int64 // rows a pull expects (0: unknown)
	done     chan struct{}
}

// Done is closed when the job has ended and its outcome is in the store.
func (p *Progress) Done() <-chan struct{} { return p.done }

// Wait waits for the job to end, or for ctx.
func (p *Progress) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errLoadEnded unblocks an upload still streaming when the load has already
// ended (for instance refused on its header).
var errLoadEnded = errors.New("load ended")

// stageFunc receives one file into the vault's staging directory.
type stageFunc func(ctx context.Context, opt vault.LoadOptions) (*vault.Staged, error)

// start runs a job in the background: stage receives the file on the job's
// own goroutine (holding nothing: a slow upload delays no one), then the
// build waits for its department's turn in the fair queue (schedule.go) and
// loads it. The job is finished or failed in the store when the load ends
// (as the actor who started it). The returned progress's done channel
// closes then.
func (s *Service) start(a *shuyu.Actor, e *sqlstore.DomainEntry, job *sqlstore.SupplyJob, stage stageFunc) *Progress {
	return s.run(a, e, job, stage, nil)
}

// run is start for any supply: pl, for a pull, adds its merge or diff key
// to the build and records the outcome with the pull's reconciliation.
func (s *Service) run(a *shuyu.Actor, e *sqlstore.DomainEntry, job *sqlstore.SupplyJob, stage stageFunc, pl *pullJob) *Progress {
	p := &Progress{done: make(chan struct{})}
	max := s.MaxBytes
	s.running.Store(job.ID, p)
	go func() {
		defer close(p.done)
		defer s.running.Delete(job.ID)
		ctx := context.Background()
		spec, err := Spec(e)
		var v *vault.Version
		var rep *vault.QualityReport
		opt := vault.LoadOptions{MaxBytes: max, Progress: func(n int64) { p.rows.Store(n) }}
		if pl != nil {
			opt.MergeKey, opt.DiffKey = pl.merge, pl.diff
		}
		var st *vault.Staged
		if err == nil {
			st, err = stage(ctx, vault.LoadOptions{MaxBytes: max, Progress: opt.Progress,
				Expected: func(n int64) { p.expected.Store(n) }})
		}
		if err == nil {
			var berr error
			if err = s.queue.run(ctx, e.OrgID, func() {
				v, rep, berr = s.vault.Build(ctx, spec, st, opt)
			}); err == nil {
				err = berr
			} else {
				st.Remove()
			}
		}
		if err != nil {
			kind := ""
			if pl != nil {
				kind = pullKind(err)
			}
			err = Redact(err, e)
			var ferr error
			if pl != nil {
				_, ferr = s.db.FailPull(ctx, a, pl.run.ID, err, kind, pl.rec)
			} else {
				_, ferr = s.db.FailSupply(ctx, a, job.ID, err)
			}
			if ferr != nil {
				s.log.Error("domain: record failed supply", "job", job.ID, "err", ferr)
			}
			if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
				s.log.Error("domain: load failed", "job", job.ID, "err", vault.SanitizeError(err))
			}
			return
		}
		var ferr error
		if pl != nil {
			pl.rec.LoadedRows, pl.rec.VersionRows, pl.rec.DeletedRows = v.Loaded, v.Rows, v.Deleted
			_, ferr = s.db.FinishPull(ctx, a, pl.run.ID, Result(v, rep), pl.rec)
		} else {
			_, ferr = s.db.FinishSupply(ctx, a, job.ID, Result(v, rep))
		}
		if ferr != nil {
			s.log.Error("domain: record finished supply", "job", job.ID, "err", ferr)
		}
	}()
	return p
}

// Redact keeps a refused file's error free of data values (R4.2): a header
// cell that names no field may be a value (a file without a header, or
// shifted columns), so only known field names are echoed; the vault already
// reduces row errors to row, column and reason.
func Redact(err error, e *sqlstore.DomainEntry) error {
	var se *shuyu.Error
	if !errors.As(err, &se) {
		return err
	}
	fes, ok := se.Details.([]shuyu.FieldError)
	if !ok {
		return err
	}
	known := map[string]bool{}
	for _, f := range e.Fields {
		known[strings.ToLower(f.Name)], known[strings.ToLower(f.Label)] = true, true
	}
	out := make([]shuyu.FieldError, 0, len(fes))
	unknown := 0
	for _, f := range fes {
		if known[strings.ToLower(strings.TrimSpace(f.Field))] {
			out = append(out, f)
		} else {
			unknown++
		}
	}
	if unknown > 0 {
		out = append(out, shuyu.FieldError{Field: "?", Message: fmt.Sprintf("%d个列名不是本目录的信息项 (%d unknown columns; names not shown)", unknown, unknown)})
	}
	return se.WithDetails(out)
}

// countingReader counts bytes for the upload's progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// Upload opens a supply job for a file a department uploads to a published
// entry and streams body into the load running in the background, while it
// arrives (R10.1). It returns once body is consumed; the job goes on. size
// is what the caller knows of the size (-1 if nothing). A *shuyu.Error
// from body (say ETOOLARGE from the caller's cap) fails the load with that
// error; any other read error fails it as an interrupted upload.
func (s *Service) Upload(ctx context.Context, a *shuyu.Actor, entryID int64, name string, size int64, body io.Reader) (*sqlstore.SupplyJob, *Progress, error) {
	if err := s.Ready(); err != nil {
		return nil, nil, err
	}
	e, job, err := s.db.StartSupply(ctx, a, shuyu.ActDomainSupply, entryID,
		sqlstore.SupplyInput{Source: "upload", FileName: name, Size: size})
	if err != nil {
		return nil, nil, err
	}
	pr, pw := io.Pipe()
	p := s.start(a, e, job, func(ctx context.Context, opt vault.LoadOptions) (*vault.Staged, error) {
		defer pr.CloseWithError(errLoadEnded)
		return s.vault.Stage(ctx, pr, vault.Format(job.Format), opt)
	})
	_, cerr := io.Copy(pw, countingReader{body, &p.received})
	var se *shuyu.Error
	switch {
	case errors.Is(cerr, errLoadEnded):
	case errors.As(cerr, &se):
		pw.CloseWithError(se)
	case cerr != nil:
		pw.CloseWithError(shuyu.Errorf(shuyu.EINVALID, "上传中断 (upload interrupted)"))
	default:
		pw.Close()
	}
	return job, p, nil
}

// Drop loads a file the exchange platform wrote into the drop directory
// <data>/drop (R10.1). A name that leaves the directory is refused before
// anything starts.
func (s *Service) Drop(ctx context.Context, a *shuyu.Actor, entryID int64, file string) (*sqlstore.SupplyJob, *Progress, error) {
	if err := s.Ready(); err != nil {
		return nil, nil, err
	}
	if s.drop == "" {
		return nil, nil, shuyu.Errorf(shuyu.ECONFLICT, "未配置数据目录，没有投递目录 (no drop directory)")
	}
	if err := CheckDrop(s.drop, file); err != nil {
		return nil, nil, err
	}
	fi, _ := os.Stat(filepath.Join(s.drop, file))
	e, job, err := s.db.StartSupply(ctx, a, shuyu.ActDomainSupplyDrop, entryID,
		sqlstore.SupplyInput{Source: "drop", FileName: file, Size: fi.Size()})
	if err != nil {
		return nil, nil, err
	}
	p := s.start(a, e, job, func(ctx context.Context, opt vault.LoadOptions) (*vault.Staged, error) {
		return s.vault.StageFromDrop(ctx, s.drop, file, vault.Format(job.Format), opt)
	})
	return job, p, nil
}

// CheckDrop refuses names outside the drop directory (.., absolute,
// symbolic links out) and files that are not there, before a job exists.
func CheckDrop(drop, name string) error {
	bad := shuyu.Errorf(shuyu.EINVALID, "文件名须位于投递目录之内 (name must stay inside the drop directory)")
	if name == "" || strings.ContainsRune(name, 0) || filepath.IsAbs(name) || !filepath.IsLocal(name) {
		return bad
	}
	root, err := filepath.EvalSymlinks(drop)
	if err != nil {
		return shuyu.Errorf(shuyu.ENOTFOUND, "投递目录不存在 (drop directory not found)")
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, name))
	if errors.Is(err, os.ErrNotExist) {
		return shuyu.Errorf(shuyu.ENOTFOUND, "投递目录中没有该文件 (file not found in drop directory)")
	}
	if err != nil {
		return bad
	}
	rel, err := filepath.Rel(root, real)
	if err != nil || !filepath.IsLocal(rel) {
		return bad
	}
	if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() {
		return bad
	}
	return nil
}

// JobView is a job as the API and the job page show it: with the rows
// loaded and the bytes received so far while it runs.
type JobView struct {
	*sqlstore.SupplyJob
	Received int64 `json:"received_bytes"`
	// Expected is the rows a running pull expects (the source's count or
	// an estimate), never less than the rows so far; 0 when unknown.
	Expected int64 `json:"expected_rows,omitempty"`
}

// Job returns a job (authorized by the store) with its live progress while
// it runs.
func (s *Service) Job(ctx context.Context, a *shuyu.Actor, id int64) (*JobView, error) {
	j, err := s.db.SupplyJob(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := &JobView{SupplyJob: j}
	if v, ok := s.running.Load(id); ok && j.Status == sqlstore.JobLoading {
		p := v.(*Progress)
		out.ProgressRows, out.Received = p.rows.Load(), p.received.Load()
		if e := p.expected.Load(); e > 0 {
			out.Expected = max(e, out.ProgressRows)
		}
	}
	return out, nil
}
