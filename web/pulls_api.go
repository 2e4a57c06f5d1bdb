package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/supply"
)

// pullRoutes registers scheduled pulls (issue 18; R10.1, R10.2): sources
// per entry, "run now", the connection test and the run history, over the
// API and as pages. Every call is the supply service's or the store's; the
// secret goes in and never comes out.
func (s *Server) pullRoutes() {
	s.handle("GET", "/api/v1/domain/entries/{id}/pull-sources", onObjectList(s.actor, s.db.PullSources))
	s.handle("POST", "/api/v1/domain/entries/{id}/pull-sources", createOnObject(s.actor, s.supply.RegisterPullSource))
	s.handle("POST", "/api/v1/domain/entries/{id}/pull-sources/test", commandOnObject(s.actor,
		func(ctx context.Context, a *shuyu.Actor, id int64, in sqlstore.PullSourceInput) (*supply.PullCheck, error) {
			return s.supply.TestPullSource(ctx, a, id, 0, in)
		}))
	s.handle("GET", "/api/v1/domain/pull-sources/{id}", onObject(s.actor, s.db.PullSource))
	s.handle("PUT", "/api/v1/domain/pull-sources/{id}", commandOnObject(s.actor, s.db.UpdatePullSource))
	s.handle("POST", "/api/v1/domain/pull-sources/{id}/test", commandOnObject(s.actor,
		func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*supply.PullCheck, error) {
			p, err := s.db.PullSource(ctx, a, id)
			if err != nil {
				return nil, err
			}
			return s.supply.TestPullSource(ctx, a, p.EntryID, id, sqlstore.PullSourceInput{Name: p.Name, Kind: p.Kind, Config: p.Config})
		}))
	s.handle("POST", "/api/v1/domain/pull-sources/{id}/run", createOnObject(s.actor,
		func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*sqlstore.PullRun, error) {
			ps, _, err := s.supply.RunPull(ctx, a, id, sqlstore.PullByHand)
			if err != nil {
				return nil, err
			}
			return ps.Run, nil
		}))
	s.handle("GET", "/api/v1/domain/pull-sources/{id}/runs", onObjectList(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64) ([]*sqlstore.PullRun, error) {
		return s.db.PullRuns(ctx, a, id, 100)
	}))

	s.page("GET /domain/entries/{id}/pulls", pageOpts{Action: shuyu.ActPullRead}, s.uiPullSources)
	s.page("POST /domain/entries/{id}/pulls", pageOpts{Action: shuyu.ActPullManage}, s.uiPullRegister)
	s.page("GET /domain/pull-sources/{id}", pageOpts{Action: shuyu.ActPullRead}, s.uiPullSource)
	s.page("POST /domain/pull-sources/{id}/run", pageOpts{Action: shuyu.ActPullRun}, s.uiPullRun)
	s.page("POST /domain/pull-sources/{id}/test", pageOpts{Action: shuyu.ActPullManage}, s.uiPullTest)
}

// RunDuePulls starts the scheduled pulls whose time has come (the domain
// owner's background loop calls it every minute, R10.2).
func (s *Server) RunDuePulls(ctx context.Context) (int, error) { return s.supply.RunDuePulls(ctx) }

// pullPageData is what the pull templates show.
type pullPageData struct {
	Entry     *sqlstore.DomainEntry
	Sources   []*sqlstore.PullSource
	Source    *sqlstore.PullSource
	Runs      []*sqlstore.PullRun
	Form      *uiForm
	Check     *supply.PullCheck
	CanManage bool
	CanRun    bool
	Kinds     []string
}

// pullForm reads the registration form: mapping lines "field=column", key
// fields separated by commas.
func pullForm(f *uiForm) sqlstore.PullSourceInput {
	port, _ := strconv.Atoi(f.Get("port"))
	size, _ := strconv.Atoi(f.Get("page_size"))
	in := sqlstore.PullSourceInput{Name: f.Get("name"), Kind: f.Get("kind"), Secret: f.Get("secret"),
		WindowStart: f.Get("window_start"), WindowEnd: f.Get("window_end"),
		Config: sqlstore.PullConfig{Host: f.Get("host"), Port: port, Database: f.Get("database"), User: f.Get("user"),
			TLS: f.Get("tls") == "on", Table: f.Get("table"), Query: f.Get("query"), URL: f.Get("url"), AppKey: f.Get("app_key"),
			PageSize: size, Mode: f.Get("mode"), Watermark: f.Get("watermark")}}
	for _, k := range strings.Split(f.Get("key"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			in.Config.Key = append(in.Config.Key, k)
		}
	}
	for _, line := range strings.Split(f.Get("mapping"), "\n") {
		if field, col, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			if in.Config.Mapping == nil {
				in.Config.Mapping = map[string]string{}
			}
			in.Config.Mapping[strings.TrimSpace(field)] = strings.TrimSpace(col)
		}
	}
	return in
}

func (s *Server) pullSourcesPage(w http.ResponseWriter, r *http.Request, id int64, f *uiForm, chk *supply.PullCheck) error {
	a := uiActor(r)
	e, err := s.db.DomainEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	srcs, err := s.db.PullSources(r.Context(), a, id)
	if err != nil {
		return err
	}
	// A pasted connection string or URL with a password is not written
	// back into the form (the store refuses it; the page must not show it).
	for _, k := range []string{"name", "host", "database", "user", "table", "query", "url", "app_key", "mapping", "watermark", "key"} {
		if sqlstore.PullCredentialInValue(f.Get(k)) {
			f.Values.Del(k)
		}
	}
	if chk != nil {
		lang := uiLang(r)
		chk.Message = uiMessage(lang, chk.Message)
		for i := range chk.Problems {
			chk.Problems[i].Message = uiMessage(lang, chk.Problems[i].Message)
		}
	}
	d := pullPageData{Entry: e, Sources: srcs, Form: f, Check: chk, Kinds: sqlstore.PullKinds,
		CanManage: e.Published && shuyu.Can(a, shuyu.ActPullManage, e.Resource()), CanRun: shuyu.Can(a, shuyu.ActPullRun, e.Resource())}
	status := http.StatusOK
	if f.Status != 0 {
		status = f.Status
	}
	return s.renderStatus(w, r, status, "pulls/sources.html", d)
}

func (s *Server) uiPullSources(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.pullSourcesPage(w, r, id, emptyForm(), nil)
}

// uiPullRegister registers a source, or with action=test only tests it;
// the secret is never written back into the form.
func (s *Server) uiPullRegister(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	in := pullForm(f)
	if f.Get("action") == "test" {
		chk, err := s.supply.TestPullSource(r.Context(), uiActor(r), id, 0, in)
		if err != nil {
			if ferr := f.fail(uiLang(r), err); ferr != nil {
				return ferr
			}
		}
		return s.pullSourcesPage(w, r, id, f, chk)
	}
	p, err := s.supply.RegisterPullSource(r.Context(), uiActor(r), id, in)
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.pullSourcesPage(w, r, id, f, nil)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/domain/pull-sources/%d", p.ID), "ok", T(uiLang(r), "pulls.registered"))
}

func (s *Server) uiPullSource(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.PullSource(r.Context(), a, id)
	if err != nil {
		return err
	}
	e, err := s.db.DomainEntry(r.Context(), a, p.EntryID)
	if err != nil {
		return err
	}
	runs, err := s.db.PullRuns(r.Context(), a, id, 50)
	if err != nil {
		return err
	}
	return s.render(w, r, "pulls/source.html", pullPageData{Entry: e, Source: p, Runs: runs, Form: emptyForm(),
		CanManage: shuyu.Can(a, shuyu.ActPullManage, p.Resource()), CanRun: shuyu.Can(a, shuyu.ActPullRun, p.Resource())})
}

// uiPullRun starts a pull now and shows its job page (the progress bar of
// every supply job).
func (s *Server) uiPullRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ps, _, err := s.supply.RunPull(r.Context(), uiActor(r), id, sqlstore.PullByHand)
	if err != nil {
		return s.redirectFlash(w, r, fmt.Sprintf("/domain/pull-sources/%d", id), "error", uiMessage(uiLang(r), shuyu.ErrorMessage(err)))
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/domain/jobs/%d", ps.Job.ID), "ok", T(uiLang(r), "pulls.run.started"))
}

// uiPullTest tests a registered source with its stored secret.
func (s *Server) uiPullTest(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.PullSource(r.Context(), a, id)
	if err != nil {
		return err
	}
	chk, err := s.supply.TestPullSource(r.Context(), a, p.EntryID, id, sqlstore.PullSourceInput{Name: p.Name, Kind: p.Kind, Config: p.Config})
	back := fmt.Sprintf("/domain/pull-sources/%d", id)
	if err != nil {
		return s.redirectFlash(w, r, back, "error", uiMessage(uiLang(r), shuyu.ErrorMessage(err)))
	}
	if !chk.OK {
		return s.redirectFlash(w, r, back, "error", T(uiLang(r), "pulls.test.failed")+" "+uiMessage(uiLang(r), chk.Message))
	}
	return s.redirectFlash(w, r, back, "ok", T(uiLang(r), "pulls.test.ok"))
}

// pullTemplateFuncs: the badge tone of a source's or a run's status (the
// statuses overlap other capabilities', so they have their own table).
func pullTemplateFuncs() template.FuncMap {
	return template.FuncMap{"pullShort": func(s string) string {
		if len(s) > 16 {
			return s[:16] + "…"
		}
		return s
	}, "pullTone": func(status string) string {
		switch status {
		case sqlstore.PullStatusOK, sqlstore.PullRunDone:
			return "ok"
		case sqlstore.PullStatusFailing, sqlstore.PullRunRunning:
			return "warn"
		case sqlstore.PullStatusOverdue, sqlstore.PullRunFailed:
			return "danger"
		}
		return "muted"
	}}
}

// Supply is the server's supply service (the demo registers its pull
// source through it).
func (s *Server) Supply() *supply.Service { return s.supply }
