package web

import (
	"context"
	"net/url"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// domainIssueRoutes: quality issues fed back to source departments (R11.1)
// and the deadline setting.
func (s *Server) domainIssueRoutes() {
	s.handle("GET", "/api/v1/domain/issues", onCollection(s.actor, s.domainIssues))
	s.handle("POST", "/api/v1/domain/entries/{id}/issues", createOnObject(s.actor, s.db.RaiseIssue))
	s.handle("GET", "/api/v1/domain/issues/{id}", onObject(s.actor, s.db.Issue))
	for _, step := range []string{"answer", "fix", "close"} {
		s.handle("POST", "/api/v1/domain/issues/{id}/"+step, commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
			Text string `json:"text"`
		}) (*sqlstore.QualityIssue, error) {
			return s.domainIssueStep(ctx, a, id, step, in.Text)
		}))
	}
	s.handle("GET", "/api/v1/domain/issue-stats", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]sqlstore.IssueStats, error) {
		return s.db.IssueStatistics(ctx, a)
	}))
	s.handle("GET", "/api/v1/domain/settings", onQuery(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) (domainSettings, error) {
		n, err := s.db.IssueWorkdays(ctx, a)
		return domainSettings{n}, err
	}))
	s.handle("PUT", "/api/v1/domain/settings", command(s.actor, 200, func(ctx context.Context, a *shuyu.Actor, in domainSettings) (domainSettings, error) {
		return in, s.db.SetIssueWorkdays(ctx, a, in.IssueWorkdays)
	}))
}

// domainIssues lists the issues the actor may see, filtered by ?status= and
// ?entry_id=.
func (s *Server) domainIssues(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*sqlstore.QualityIssue, error) {
	f := sqlstore.IssueFilter{Status: q.Get("status")}
	if v := q.Get("entry_id"); v != "" {
		var err error
		if f.EntryID, err = strconv.ParseInt(v, 10, 64); err != nil || f.EntryID <= 0 {
			return nil, shuyu.Errorf(shuyu.EINVALID, "entry_id 无效 (bad entry_id)")
		}
	}
	return s.db.Issues(ctx, a, f)
}

// domainIssueStep takes an issue one step (answer, fix, close), for the API
// and the issue page alike; an unknown step is not found.
func (s *Server) domainIssueStep(ctx context.Context, a *shuyu.Actor, id int64, step, text string) (*sqlstore.QualityIssue, error) {
	switch step {
	case "answer":
		return s.db.AnswerIssue(ctx, a, id, text)
	case "fix":
		return s.db.FixIssue(ctx, a, id, text)
	case "close":
		return s.db.CloseIssue(ctx, a, id, text)
	}
	return nil, shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
}

type domainSettings struct {
	IssueWorkdays int `json:"issue_workdays"`
}
