package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// domainUploadCap caps one upload (R10.1); a variable so tests can lower it.
var domainUploadCap int64 = 2 << 30

// domainMultipartSlack is what the multipart framing may add to a file.
const domainMultipartSlack = 64 << 10

// domainProgress is a running job's progress, kept in memory: progress is
// not a state change worth an audit event per tick, and the job's final
// rows are stored when it ends.
type domainProgress struct {
	rows     atomic.Int64
	received atomic.Int64
	done     chan struct{}
}

type domainJobKey struct {
	s  *Server
	id int64
}

var domainRunning sync.Map // domainJobKey → *domainProgress

// errDomainLoadEnded unblocks an upload still streaming when the load has
// already ended (for instance refused on its header).
var errDomainLoadEnded = errors.New("load ended")

// domainStart runs a load in the background: src is read by vault.Load on
// its own goroutine; the job is finished or failed in the store when the
// load ends. The returned progress's done channel closes then.
func (s *Server) domainStart(a *shuyu.Actor, e *sqlstore.DomainEntry, job *sqlstore.SupplyJob, load func(ctx context.Context, spec vault.Spec, opt vault.LoadOptions) (*vault.Version, *vault.QualityReport, error)) *domainProgress {
	p := &domainProgress{done: make(chan struct{})}
	key := domainJobKey{s, job.ID}
	domainRunning.Store(key, p)
	go func() {
		defer close(p.done)
		defer domainRunning.Delete(key)
		ctx := context.Background()
		spec, err := DomainSpec(e)
		var v *vault.Version
		var rep *vault.QualityReport
		if err == nil {
			v, rep, err = load(ctx, spec, vault.LoadOptions{MaxBytes: domainUploadCap, Progress: func(n int64) { p.rows.Store(n) }})
		}
		if err != nil {
			err = domainRedact(err, e)
			if _, ferr := s.db.FailSupply(ctx, a, job.ID, err); ferr != nil {
				s.log.Error("domain: record failed supply", "job", job.ID, "err", ferr)
			}
			if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
				s.log.Error("domain: load failed", "job", job.ID, "err", vault.SanitizeError(err))
			}
			return
		}
		res := sqlstore.SupplyResult{Version: v.N, Rows: v.Rows, Bytes: v.Bytes, Quality: rep.Score, Report: rep,
			PublicSource: v.PublicSource, NonPublic: v.NonPublic}
		for _, r := range rep.Rules {
			res.Failed = append(res.Failed, sqlstore.QualityFailure{Field: r.Column, Rule: r.Rule, Message: r.Message, Failed: r.Failed})
		}
		if _, err := s.db.FinishSupply(ctx, a, job.ID, res); err != nil {
			s.log.Error("domain: record finished supply", "job", job.ID, "err", err)
		}
	}()
	return p
}

// domainRedact keeps a refused file's error free of data values (R4.2):
// a header cell that names no field may be a value (a file without a
// header, or shifted columns), so only known field names are echoed; the
// vault already reduces row errors to row, column and reason.
func domainRedact(err error, e *sqlstore.DomainEntry) error {
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

// apiDomainUpload receives a dataset version for a published entry as
// multipart/form-data (part "file"). The size is capped before anything is
// parsed; the file streams into the domain while it arrives (R10.1). The
// answer is 202 with the job (poll GET /api/v1/domain/jobs/{id}); with
// ?wait=1 it waits for the end and answers 201 or the load's error.
func (s *Server) apiDomainUpload(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	jobID, p, err := s.domainReceive(w, r, a, id)
	if err != nil {
		return err
	}
	return s.domainAnswerJob(w, r, a, jobID, p)
}

// domainReceive checks an upload's size before parsing it, opens the job and
// streams the file part into the load running in the background; it
// returns once the request body is consumed (R10.1).
func (s *Server) domainReceive(w http.ResponseWriter, r *http.Request, a *shuyu.Actor, id int64) (int64, *domainProgress, error) {
	v, err := s.domainVault()
	if err != nil {
		return 0, nil, err
	}
	if r.ContentLength > domainUploadCap+domainMultipartSlack {
		return 0, nil, shuyu.Errorf(shuyu.ETOOLARGE, "文件超过大小上限 %d 字节 (upload too large)", domainUploadCap)
	}
	r.Body = http.MaxBytesReader(w, r.Body, domainUploadCap+domainMultipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return 0, nil, shuyu.Errorf(shuyu.EINVALID, "请以 multipart/form-data 上传文件 (multipart upload expected)")
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "file" || part.FileName() == "" {
		return 0, nil, shuyu.Errorf(shuyu.EINVALID, "请选择要上传的文件 (the first part must be the file)")
	}
	defer part.Close()
	e, job, err := s.db.StartSupply(r.Context(), a, shuyu.ActDomainSupply, id,
		sqlstore.SupplyInput{Source: "upload", FileName: part.FileName(), Size: r.ContentLength})
	if err != nil {
		return 0, nil, err
	}
	pr, pw := io.Pipe()
	p := s.domainStart(a, e, job, func(ctx context.Context, spec vault.Spec, opt vault.LoadOptions) (*vault.Version, *vault.QualityReport, error) {
		defer pr.CloseWithError(errDomainLoadEnded)
		return v.Load(ctx, spec, pr, vault.Format(job.Format), opt)
	})
	_, cerr := io.Copy(pw, countingReader{part, &p.received})
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(cerr, &maxErr):
		pw.CloseWithError(shuyu.Errorf(shuyu.ETOOLARGE, "文件超过大小上限 %d 字节 (upload too large)", domainUploadCap))
	case errors.Is(cerr, errDomainLoadEnded):
	case cerr != nil:
		pw.CloseWithError(shuyu.Errorf(shuyu.EINVALID, "上传中断 (upload interrupted)"))
	default:
		pw.Close()
	}
	return job.ID, p, nil
}

// domainAnswerJob answers a started job: 202 at once, or with ?wait=1 the
// finished job (201) or its error with the row list.
func (s *Server) domainAnswerJob(w http.ResponseWriter, r *http.Request, a *shuyu.Actor, jobID int64, p *domainProgress) error {
	if r.URL.Query().Get("wait") == "" {
		j, err := s.domainJob(r.Context(), a, jobID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, j)
		return nil
	}
	select {
	case <-p.done:
	case <-r.Context().Done():
		return r.Context().Err()
	}
	j, err := s.db.SupplyJob(r.Context(), a, jobID)
	if err != nil {
		return err
	}
	if j.Status == sqlstore.JobFailed {
		e := &shuyu.Error{Code: j.ErrorCode, Message: j.ErrorMessage}
		if len(j.Errors) > 0 {
			e.Details = j.Errors
		}
		return e
	}
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// domainJob returns a job with its live progress while it runs.
func (s *Server) domainJob(ctx context.Context, a *shuyu.Actor, id int64) (*domainJobView, error) {
	j, err := s.db.SupplyJob(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := &domainJobView{SupplyJob: j}
	if v, ok := domainRunning.Load(domainJobKey{s, id}); ok && j.Status == sqlstore.JobLoading {
		p := v.(*domainProgress)
		out.ProgressRows, out.Received = p.rows.Load(), p.received.Load()
	}
	return out, nil
}

// domainJobView is a job as the API shows it: bytes received so far too.
type domainJobView struct {
	*sqlstore.SupplyJob
	Received int64 `json:"received_bytes"`
}

func (s *Server) apiDomainJob(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := s.domainJob(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// apiDomainDrop loads a file the exchange platform wrote into the drop
// directory <data>/drop (R10.1). A name that leaves the directory is
// refused before anything starts.
func (s *Server) apiDomainDrop(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		File string `json:"file"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	v, err := s.domainVault()
	if err != nil {
		return err
	}
	if s.cfg.Data == "" {
		return shuyu.Errorf(shuyu.ECONFLICT, "未配置数据目录，没有投递目录 (no drop directory)")
	}
	drop := filepath.Join(s.cfg.Data, "drop")
	if err := domainCheckDrop(drop, req.File); err != nil {
		return err
	}
	fi, _ := os.Stat(filepath.Join(drop, req.File))
	e, job, err := s.db.StartSupply(r.Context(), a, shuyu.ActDomainSupplyDrop, id,
		sqlstore.SupplyInput{Source: "drop", FileName: req.File, Size: fi.Size()})
	if err != nil {
		return err
	}
	p := s.domainStart(a, e, job, func(ctx context.Context, spec vault.Spec, opt vault.LoadOptions) (*vault.Version, *vault.QualityReport, error) {
		return v.LoadFromDrop(ctx, drop, req.File, spec, vault.Format(job.Format), opt)
	})
	return s.domainAnswerJob(w, r, a, job.ID, p)
}

// domainCheckDrop refuses names outside the drop directory (.., absolute,
// symbolic links out) and files that are not there, before a job exists.
func domainCheckDrop(drop, name string) error {
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
