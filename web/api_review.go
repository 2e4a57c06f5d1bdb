package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/workday"
)

// reviewRoutes registers the review capability's API routes and pages:
// the calendar, onboarding, applications, reviews, agreements and the inbox
// (R17–R22, R19, R34).
func (s *Server) reviewRoutes() {
	s.handle("GET", "/api/v1/calendar/days", s.apiCalendarDays)
	s.handle("POST", "/api/v1/calendar/days", s.apiCalendarAdd)
	s.handle("DELETE", "/api/v1/calendar/days/{date}", s.apiCalendarRemove)
	s.handle("GET", "/api/v1/calendar/due", s.apiCalendarDue)
	s.handle("PUT", "/api/v1/authorization-term", s.apiAuthorizationTerm)
	s.handle("GET", "/api/v1/documents", s.apiDocuments)
	s.handle("POST", "/api/v1/documents", s.apiCreateDocument)
	s.handle("GET", "/api/v1/documents/current/{kind}", s.apiCurrentDocument)
	s.handle("POST", "/api/v1/documents/{id}/approve", s.apiApproveDocument)
	s.reviewRegistrationRoutes()
	s.reviewApplicationRoutes()
	s.reviewPages()
}

// reviewJSON decodes the body, runs fn and answers its result.
func reviewJSON[T any, R any](s *Server, status int, fn func(r *http.Request, a *shuyu.Actor, in T) (R, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		var in T
		// An empty body is the zero input (actions without parameters);
		// the store's validation refuses what that leaves incomplete.
		if r.Method != http.MethodGet && r.Method != http.MethodDelete && r.ContentLength != 0 {
			if err := decode(r, &in); err != nil {
				return err
			}
		}
		out, err := fn(r, a, in)
		if err != nil {
			return err
		}
		writeJSON(w, status, out)
		return nil
	}
}

type reviewNone struct{}

type reviewReason struct {
	Reason string `json:"reason"`
}

func (s *Server) apiCalendarDays(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.actor(r); err != nil {
		return err
	}
	days, err := s.db.CalendarDays(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(days))
	return nil
}

func (s *Server) apiCalendarAdd(w http.ResponseWriter, r *http.Request) error {
	return reviewJSON(s, http.StatusCreated, func(r *http.Request, a *shuyu.Actor, in struct {
		Days   []workday.Day `json:"days"`
		Reason string        `json:"reason"`
	}) (any, error) {
		if err := s.db.AddCalendarDays(r.Context(), a, in.Days, in.Reason); err != nil {
			return nil, err
		}
		return s.db.CalendarDays(r.Context())
	})(w, r)
}

func (s *Server) apiCalendarRemove(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	if err := s.db.RemoveCalendarDay(r.Context(), a, r.PathValue("date"), r.URL.Query().Get("reason")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiCalendarDue answers what `shuyu calendar due` prints, on the effective
// calendar (embedded schedule plus the authority's additions).
func (s *Server) apiCalendarDue(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.actor(r); err != nil {
		return err
	}
	q := r.URL.Query()
	from, err := time.ParseInLocation(time.DateOnly, q.Get("from"), workday.Zone)
	if err != nil {
		return shuyu.Errorf(shuyu.EINVALID, "from 须为 YYYY-MM-DD (bad date)")
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 1 || n > 365 {
		return shuyu.Errorf(shuyu.EINVALID, "n 须为 1 至 365 的整数 (bad n)")
	}
	cal, err := s.db.Calendar(r.Context())
	if err != nil {
		return err
	}
	due, err := cal.Due(from, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": q.Get("from"), "n": n, "due": due.Format(time.DateOnly), "due_at": due})
	return nil
}

func (s *Server) apiAuthorizationTerm(w http.ResponseWriter, r *http.Request) error {
	return reviewJSON(s, http.StatusOK, func(r *http.Request, a *shuyu.Actor, in struct {
		End    string `json:"end"`
		Reason string `json:"reason"`
	}) (any, error) {
		return map[string]string{"end": in.End}, s.db.SetAuthorizationEnd(r.Context(), a, in.End, in.Reason)
	})(w, r)
}

func (s *Server) apiDocuments(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	docs, err := s.db.Documents(r.Context(), a, r.URL.Query().Get("kind"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(docs))
	return nil
}

func (s *Server) apiCreateDocument(w http.ResponseWriter, r *http.Request) error {
	return reviewJSON(s, http.StatusCreated, func(r *http.Request, a *shuyu.Actor, in shuyu.Document) (*shuyu.Document, error) {
		in.ID, in.Status, in.Version = 0, "", 0
		return &in, s.db.CreateDocument(r.Context(), a, &in)
	})(w, r)
}

// apiCurrentDocument is public: applicants read the onboarding rules in
// force before they register (R18.1).
func (s *Server) apiCurrentDocument(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.db.CurrentDocument(r.Context(), r.PathValue("kind"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (s *Server) apiApproveDocument(w http.ResponseWriter, r *http.Request) error {
	return reviewJSON(s, http.StatusOK, func(r *http.Request, a *shuyu.Actor, _ reviewNone) (*shuyu.Document, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return s.db.ApproveDocument(r.Context(), a, id)
	})(w, r)
}

// reviewUpload reads a raw upload body (the file itself), capped.
func reviewUpload(r *http.Request) (string, []byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, shuyu.MaxFileSize+1))
	if err != nil {
		return "", nil, shuyu.Errorf(shuyu.EINVALID, "读取附件失败 (cannot read upload)")
	}
	if len(data) > shuyu.MaxFileSize {
		return "", nil, shuyu.Errorf(shuyu.ETOOLARGE, "附件不得超过 %d MB (file too large)", shuyu.MaxFileSize>>20)
	}
	return r.URL.Query().Get("name"), data, nil
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	ns, unread, err := s.db.Inbox(r.Context(), a, limit, r.URL.Query().Get("unread") == "1")
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []sqlstore.Notice{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ns, "total": len(ns), "unread": unread})
	return nil
}

func (s *Server) apiInboxRead(w http.ResponseWriter, r *http.Request) error {
	return reviewJSON(s, http.StatusOK, func(r *http.Request, a *shuyu.Actor, in struct {
		IDs []int64 `json:"ids"`
	}) (any, error) {
		n, err := s.db.MarkRead(r.Context(), a, in.IDs)
		return map[string]int{"marked": n}, err
	})(w, r)
}

func (s *Server) apiFile(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, data, err := s.db.FileData(r.Context(), a, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", urlPathEscape(f.Name)))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(data)
	return err
}
