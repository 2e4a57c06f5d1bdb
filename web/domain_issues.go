package web

import (
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// domainIssueRoutes: quality issues fed back to source departments (R11.1)
// and the deadline setting.
func (s *Server) domainIssueRoutes() {
	s.handle("GET", "/api/v1/domain/issues", s.apiDomainIssues)
	s.handle("POST", "/api/v1/domain/entries/{id}/issues", s.apiDomainRaiseIssue)
	s.handle("GET", "/api/v1/domain/issues/{id}", s.apiDomainIssue)
	s.handle("POST", "/api/v1/domain/issues/{id}/answer", s.apiDomainIssueStep(sqlstore.IssueAnswered))
	s.handle("POST", "/api/v1/domain/issues/{id}/fix", s.apiDomainIssueStep(sqlstore.IssueFixed))
	s.handle("POST", "/api/v1/domain/issues/{id}/close", s.apiDomainIssueStep(sqlstore.IssueClosed))
	s.handle("GET", "/api/v1/domain/issue-stats", s.apiDomainIssueStats)
	s.handle("GET", "/api/v1/domain/settings", s.apiDomainSettings)
	s.handle("PUT", "/api/v1/domain/settings", s.apiDomainSetSettings)
}

func (s *Server) apiDomainIssues(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	f := sqlstore.IssueFilter{Status: r.URL.Query().Get("status")}
	if v := r.URL.Query().Get("entry_id"); v != "" {
		if f.EntryID, err = strconv.ParseInt(v, 10, 64); err != nil || f.EntryID <= 0 {
			return shuyu.Errorf(shuyu.EINVALID, "entry_id 无效 (bad entry_id)")
		}
	}
	l, err := s.db.Issues(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(l))
	return nil
}

func (s *Server) apiDomainRaiseIssue(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in sqlstore.IssueInput
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := s.db.RaiseIssue(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, q)
	return nil
}

func (s *Server) apiDomainIssue(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := s.db.Issue(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) apiDomainIssueStep(to string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var req struct {
			Text string `json:"text"`
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		var q *sqlstore.QualityIssue
		switch to {
		case sqlstore.IssueAnswered:
			q, err = s.db.AnswerIssue(r.Context(), a, id, req.Text)
		case sqlstore.IssueFixed:
			q, err = s.db.FixIssue(r.Context(), a, id, req.Text)
		default:
			q, err = s.db.CloseIssue(r.Context(), a, id, req.Text)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, q)
		return nil
	}
}

func (s *Server) apiDomainIssueStats(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	st, err := s.db.IssueStatistics(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(st))
	return nil
}

type domainSettings struct {
	IssueWorkdays int `json:"issue_workdays"`
}

func (s *Server) apiDomainSettings(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	n, err := s.db.IssueWorkdays(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, domainSettings{n})
	return nil
}

func (s *Server) apiDomainSetSettings(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var req domainSettings
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.SetIssueWorkdays(r.Context(), a, req.IssueWorkdays); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}
