package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/supply"
)

// The supply routes adapt HTTP to the supply service (package supply),
// which runs the jobs.

// domainMultipartSlack is what the multipart framing may add to a file.
const domainMultipartSlack = 64 << 10

// apiDomainUpload receives a dataset version for a published entry as
// multipart/form-data (part "file"). The size is capped before anything is
// parsed; the file streams into the domain while it arrives (R10.1). The
// answer is 202 with the job (poll GET /api/v1/domain/jobs/{id}); with
// ?wait=1 it waits for the end and answers 201 or the load's error.
func (s *Server) apiDomainUpload(w http.ResponseWriter, r *http.Request) error {
	a, id, err := objectCall(s.actor, r)
	if err != nil {
		return err
	}
	job, p, err := s.domainReceive(w, r, a, id)
	if err != nil {
		return err
	}
	return s.domainAnswerJob(w, r, a, job.ID, p)
}

// cappedReader turns the body cap's error into the platform's 413 error,
// which the supply service passes on to the load.
type cappedReader struct {
	r   io.Reader
	max int64
}

func (c cappedReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = shuyu.Errorf(shuyu.ETOOLARGE, "文件超过大小上限 %d 字节 (upload too large)", c.max)
	}
	return n, err
}

// domainReceive checks an upload's size before parsing it, then hands the
// file part to the supply service, which opens the job and streams it into
// the load running in the background; it returns once the request body is
// consumed (R10.1).
func (s *Server) domainReceive(w http.ResponseWriter, r *http.Request, a *shuyu.Actor, id int64) (*sqlstore.SupplyJob, *supply.Progress, error) {
	if err := s.supply.Ready(); err != nil {
		return nil, nil, err
	}
	max := s.supply.MaxBytes
	if r.ContentLength > max+domainMultipartSlack {
		return nil, nil, shuyu.Errorf(shuyu.ETOOLARGE, "文件超过大小上限 %d 字节 (upload too large)", max)
	}
	// The minimum rate sits under the cap: a slow body fails the job with
	// a clear error and its staged part is removed (upload_rate.go).
	mb := s.minRate(w, r.Body)
	r.Body = http.MaxBytesReader(w, mb, max+domainMultipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, shuyu.Errorf(shuyu.EINVALID, "请以 multipart/form-data 上传文件 (multipart upload expected)")
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "file" || part.FileName() == "" {
		return nil, nil, shuyu.Errorf(shuyu.EINVALID, "请选择要上传的文件 (the first part must be the file)")
	}
	defer part.Close()
	job, p, err := s.supply.Upload(r.Context(), a, id, part.FileName(), r.ContentLength, cappedReader{part, max})
	if err == nil && mb.tripped {
		// The job fails with the same error; the server has given up on this
		// request's body (and its context), so answer now rather than wait.
		return nil, nil, errTooSlow(mb.rate, mb.window)
	}
	return job, p, err
}

// domainAnswerJob answers a started job: 202 at once, or with ?wait=1 the
// finished job (201) or its error with the row list.
func (s *Server) domainAnswerJob(w http.ResponseWriter, r *http.Request, a *shuyu.Actor, jobID int64, p *supply.Progress) error {
	if r.URL.Query().Get("wait") == "" {
		j, err := s.supply.Job(r.Context(), a, jobID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, j)
		return nil
	}
	if err := p.Wait(r.Context()); err != nil {
		return err
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

// domainDropFile names a file in the drop directory.
type domainDropFile struct {
	File string `json:"file"`
}

// apiDomainDrop loads a file the exchange platform wrote into the drop
// directory <data>/drop (R10.1).
func (s *Server) apiDomainDrop(w http.ResponseWriter, r *http.Request) error {
	a, id, err := objectCall(s.actor, r)
	if err != nil {
		return err
	}
	var req domainDropFile
	if err := decode(r, &req); err != nil {
		return err
	}
	job, p, err := s.supply.Drop(r.Context(), a, id, req.File)
	if err != nil {
		return err
	}
	return s.domainAnswerJob(w, r, a, job.ID, p)
}

// uiDomainUpload is the upload form without JavaScript: it waits for the
// load and shows the job page (with the report or the row errors).
func (s *Server) uiDomainUpload(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	job, p, err := s.domainReceive(w, r, a, id)
	if err != nil {
		return s.redirectFlash(w, r, fmt.Sprintf("/domain/entries/%d", id), "error", shuyu.ErrorMessage(err))
	}
	if err := p.Wait(r.Context()); err != nil {
		return err
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/domain/jobs/%d", job.ID), "ok", T(uiLang(r), "domain.upload.received"))
}

// DomainStartup readies the domain when the server starts (call it before
// serving): see supply.Service.Startup (R10.1, R27.3).
func (s *Server) DomainStartup(ctx context.Context) error { return s.supply.Startup(ctx) }
