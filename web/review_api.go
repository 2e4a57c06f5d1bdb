package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	s.handle("GET", "/api/v1/calendar/days", onCollection(s.actor, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]sqlstore.CalendarDay, error) {
		return s.db.CalendarDays(ctx)
	}))
	// Adding days answers the days the authority has added, all of them.
	s.handle("POST", "/api/v1/calendar/days", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in struct {
		bodyMayBeEmpty
		Days   []workday.Day `json:"days"`
		Reason string        `json:"reason"`
	}) ([]sqlstore.CalendarDay, error) {
		if err := s.db.AddCalendarDays(ctx, a, in.Days, in.Reason); err != nil {
			return nil, err
		}
		return s.db.CalendarDays(ctx)
	}))
	s.handle("DELETE", "/api/v1/calendar/days/{date}", jsonRoute[noBody, *noContent](http.StatusNoContent, s.apiCalendarRemove))
	s.handle("GET", "/api/v1/calendar/due", onQuery(s.actor, s.reviewCalendarDue))
	s.handle("PUT", "/api/v1/authorization-term", command(s.actor, http.StatusOK, func(ctx context.Context, a *shuyu.Actor, in struct {
		bodyMayBeEmpty
		End    string `json:"end"`
		Reason string `json:"reason"`
	}) (map[string]string, error) {
		return map[string]string{"end": in.End}, s.db.SetAuthorizationEnd(ctx, a, in.End, in.Reason)
	}))
	s.handle("GET", "/api/v1/documents", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.Document, error) {
		return s.db.Documents(ctx, a, q.Get("kind"))
	}))
	s.handle("POST", "/api/v1/documents", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in struct {
		bodyMayBeEmpty
		shuyu.Document
	}) (*shuyu.Document, error) {
		doc := in.Document
		doc.ID, doc.Status, doc.Version = 0, "", 0
		return &doc, s.db.CreateDocument(ctx, a, &doc)
	}))
	s.handle("GET", "/api/v1/documents/current/{kind}", jsonRoute[noBody, *shuyu.Document](http.StatusOK, s.apiCurrentDocument))
	s.handle("POST", "/api/v1/documents/{id}/approve", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ reviewNone) (*shuyu.Document, error) {
		return s.db.ApproveDocument(ctx, a, id)
	}))
	s.reviewRegistrationRoutes()
	s.reviewApplicationRoutes()
	s.reviewPages()
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

// reviewCalendarDue answers what `shuyu calendar due` prints, on the
// effective calendar (embedded schedule plus the authority's additions).
func (s *Server) reviewCalendarDue(ctx context.Context, _ *shuyu.Actor, q url.Values) (*calendarDue, error) {
	from, err := time.ParseInLocation(time.DateOnly, q.Get("from"), workday.Zone)
	if err != nil {
		return nil, shuyu.Errorf(shuyu.EINVALID, "from 须为 YYYY-MM-DD (bad date)")
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 1 || n > 365 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "n 须为 1 至 365 的整数 (bad n)")
	}
	cal, err := s.db.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	due, err := cal.Due(from, n)
	if err != nil {
		return nil, err
	}
	return &calendarDue{From: q.Get("from"), N: n, Due: due.Format(time.DateOnly), DueAt: due}, nil
}

// calendarDue is the deadline n working days after from.
type calendarDue struct {
	From  string    `json:"from"`   // YYYY-MM-DD
	N     int       `json:"n"`      // working days
	Due   string    `json:"due"`    // YYYY-MM-DD
	DueAt time.Time `json:"due_at"` // the end of the due day
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
