package web

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// The home page after login is a dashboard for the user's roles (issue 13):
// the to-dos with their deadlines (overdue first), a few counts and the
// charts that matter to the role, all read from the store through the same
// methods the list pages use (and so under the same authorization). A
// source that fails is logged and left out: the dashboard never hides the
// rest of the page behind one broken counter.

// dashTodo is one thing waiting for the user.
type dashTodo struct {
	Kind    string // i18n key of its kind
	Title   string
	Link    string
	Due     *time.Time
	Left    int // working days left (deadline-based to-dos)
	Overdue bool
}

// dashFigure is one count with the page that lists it.
type dashFigure struct {
	Label string // i18n key
	N     int
	Link  string
}

// dashChart is a chart drawn by portal.js from its table.
type dashChart struct {
	ID, Title, Kind string // Kind: bar, hbar, pie
	Cols            []string
	Rows            []dashRow
}

type dashRow struct {
	Label string
	Vals  []int
}

type dashboard struct {
	Todos   []dashTodo
	Figures []dashFigure
	Charts  []dashChart
}

func (s *Server) dashboardFor(ctx context.Context, a *shuyu.Actor, lang string) dashboard {
	var d dashboard
	warn := func(what string, err error) {
		s.log.WarnContext(ctx, "dashboard", slog.String("part", what), slog.Any("err", err))
	}
	can := func(act shuyu.Action) bool { return shuyu.Can(a, act, shuyu.Resource{}) }

	// Reviews of applications waiting for the user's organization (R21.1).
	if can(shuyu.ActReviewDecide) {
		if q, err := s.db.ReviewQueue(ctx, a); err != nil {
			warn("reviews", err)
		} else {
			for _, t := range q {
				dl := t.Deadline
				d.Todos = append(d.Todos, dashTodo{Kind: "dash.todo.review", Title: t.Title + " · " + t.Merchant,
					Link: fmt.Sprintf("/applications/%d", t.ApplicationID), Due: &dl.Due, Left: dl.WorkdaysLeft, Overdue: dl.Overdue})
			}
			d.Figures = append(d.Figures, dashFigure{"dash.fig.reviews", len(q), "/reviews"})
		}
	}
	// The operator's compliance checks (R20.2) and merchant registrations (R18.2).
	if can(shuyu.ActApplicationCheck) {
		if apps, err := s.db.Applications(ctx, a, shuyu.AppChecking); err != nil {
			warn("checks", err)
		} else {
			for _, app := range apps {
				dl := app.Check.Deadline
				d.Todos = append(d.Todos, dashTodo{Kind: "dash.todo.check", Title: app.Title + " · " + app.MerchantName,
					Link: fmt.Sprintf("/applications/%d", app.ID), Due: &dl.Due, Left: dl.WorkdaysLeft, Overdue: dl.Overdue})
			}
			d.Figures = append(d.Figures, dashFigure{"dash.fig.checks", len(apps), "/applications"})
		}
	}
	if can(shuyu.ActRegistrationHandle) {
		n := 0
		for _, st := range []string{shuyu.RegSubmitted, shuyu.RegAccepted, shuyu.RegMoreMaterial} {
			regs, err := s.db.Registrations(ctx, a, st)
			if err != nil {
				warn("registrations", err)
				break
			}
			for _, g := range regs {
				t := dashTodo{Kind: "dash.todo.registration", Title: g.Company, Link: fmt.Sprintf("/review/registrations/%d", g.ID)}
				if g.Deadline != nil {
					t.Due, t.Left, t.Overdue = &g.Deadline.Due, g.Deadline.WorkdaysLeft, g.Deadline.Overdue
				}
				if st != shuyu.RegMoreMaterial { // waiting for the merchant, not for the operator
					d.Todos = append(d.Todos, t)
				}
				n++
			}
		}
		d.Figures = append(d.Figures, dashFigure{"dash.fig.registrations", n, "/review/registrations"})
	}
	// Products: the reviewer's queue, the authority's filings, the merchant's own.
	if can(shuyu.ActProductRead) {
		if ps, err := s.db.Products(ctx, a, ""); err != nil {
			warn("products", err)
		} else {
			byStatus := map[string]int{}
			for _, p := range ps {
				byStatus[string(p.Status)]++
				if outputWaitsFor(a, p) {
					d.Todos = append(d.Todos, dashTodo{Kind: "dash.todo.product", Title: p.Name + " · " + T(lang, "output.st."+string(p.Status)),
						Link: fmt.Sprintf("/output/products/%d", p.ID)})
				}
			}
			if a.Has(shuyu.RoleMerchant) {
				d.Charts = append(d.Charts, statusChart("dash-products", "dash.chart.products", "dash.col.products", byStatus, lang,
					func(k string) string { return T(lang, "output.st."+k) }))
			}
			d.Figures = append(d.Figures, dashFigure{"dash.fig.products", len(ps), "/output/products"})
		}
	}
	// Quality issues of the department's data (R11.1).
	if can(shuyu.ActIssueRead) && (a.Has(shuyu.RoleDept) || a.Has(shuyu.RoleCountyAuthority)) {
		if is, err := s.db.Issues(ctx, a, sqlstore.IssueFilter{}); err != nil {
			warn("issues", err)
		} else {
			open := 0
			for _, i := range is {
				if i.Status == "fixed" || i.Status == "closed" {
					continue
				}
				open++
				due := i.DueAt
				d.Todos = append(d.Todos, dashTodo{Kind: "dash.todo.issue", Title: i.EntryCode + " · " + portalExcerpt(i.Description, 40),
					Link: fmt.Sprintf("/domain/issues/%d", i.ID), Due: &due, Overdue: i.Overdue, Left: i.DaysLeft})
			}
			d.Figures = append(d.Figures, dashFigure{"dash.fig.issues", open, "/domain/issues"})
		}
	}
	// Agreements to sign (R19.1).
	if can(shuyu.ActAgreementSign) {
		if ags, err := s.db.Agreements(ctx, a); err != nil {
			warn("agreements", err)
		} else {
			for _, g := range ags {
				mine := g.Status == shuyu.AgrPending && a.Has(shuyu.RoleMerchant) || g.Status == shuyu.AgrMerchantSigned && a.Has(shuyu.RoleOperatorAdmin)
				if mine {
					d.Todos = append(d.Todos, dashTodo{Kind: "dash.todo.agreement", Title: g.Title + " · " + g.Number, Link: fmt.Sprintf("/agreements/%d", g.ID)})
				}
			}
		}
	}
	// Catalog entries waiting for the user's review (R8.4).
	if st := catalogReviewStatuses(a); len(st) > 0 {
		if es, err := s.db.CatalogWork(ctx, a, st...); err != nil {
			warn("catalog reviews", err)
		} else {
			for _, e := range es {
				title := e.Code
				if e.Working != nil {
					title = e.Working.Name + " · " + e.OrgName
				}
				d.Todos = append(d.Todos, dashTodo{Kind: "dash.todo.catalog", Title: title, Link: fmt.Sprintf("/catalog/%d/work", e.ID)})
			}
			d.Figures = append(d.Figures, dashFigure{"dash.fig.catalog", len(es), "/catalog/reviews"})
		}
	}
	s.dashboardCharts(ctx, a, lang, &d, warn)
	slices.SortStableFunc(d.Todos, func(x, y dashTodo) int {
		if x.Overdue != y.Overdue {
			if x.Overdue {
				return -1
			}
			return 1
		}
		switch {
		case x.Due == nil && y.Due == nil:
			return 0
		case x.Due == nil:
			return 1
		case y.Due == nil:
			return -1
		}
		return x.Due.Compare(*y.Due)
	})
	return d
}

// dashboardCharts adds the charts of the user's roles.
func (s *Server) dashboardCharts(ctx context.Context, a *shuyu.Actor, lang string, d *dashboard, warn func(string, error)) {
	can := func(act shuyu.Action) bool { return shuyu.Can(a, act, shuyu.Resource{}) }
	// Review timeliness by reviewing organization (R21, R31.1).
	if can(shuyu.ActReviewStats) {
		if st, err := s.db.ReviewStats(ctx, a); err != nil {
			warn("review stats", err)
		} else if len(st) > 0 {
			c := dashChart{ID: "dash-review-timeliness", Title: "dash.chart.timeliness", Kind: "hbar",
				Cols: []string{T(lang, "dash.col.org"), T(lang, "dash.col.decided"), T(lang, "dash.col.deemed"), T(lang, "dash.col.open")}}
			for _, r := range st {
				c.Rows = append(c.Rows, dashRow{r.OrgName, []int{r.Decided, r.Deemed, r.Open}})
			}
			d.Charts = append(d.Charts, c)
		}
	}
	// Mounting by department (R10.2, R31.1): the authority's and the operator's view.
	if a.Has(shuyu.RoleAuthority) || a.Has(shuyu.RoleOperatorAdmin) || a.Has(shuyu.RoleCountyAuthority) {
		if st, err := s.db.PortalStats(ctx); err != nil {
			warn("mounting", err)
		} else {
			c := dashChart{ID: "dash-mounting", Title: "dash.chart.mounting", Kind: "hbar",
				Cols: []string{T(lang, "dash.col.org"), T(lang, "portal.col.mounted"), T(lang, "dash.col.unmounted")}}
			for _, r := range st.ByDept {
				c.Rows = append(c.Rows, dashRow{r.Label, []int{r.Extra, r.Count - r.Extra}})
			}
			d.Charts = append(d.Charts, c)
			d.Figures = append(d.Figures, dashFigure{"dash.fig.mounted", st.Mounted, "/domain"}, dashFigure{"dash.fig.unmounted", st.Entries - st.Mounted, "/domain"})
		}
	}
	// Data quality by department (R11.1, R31.1); a department sees its own.
	if can(shuyu.ActIssueRead) && !a.Has(shuyu.RoleMerchant) {
		if st, err := s.db.IssueStatistics(ctx, a); err != nil {
			warn("issue stats", err)
		} else if len(st) > 0 {
			c := dashChart{ID: "dash-quality", Title: "dash.chart.quality", Kind: "hbar",
				Cols: []string{T(lang, "dash.col.org"), T(lang, "dash.col.issue_open"), T(lang, "dash.col.issue_overdue"), T(lang, "dash.col.issue_resolved")}}
			for _, r := range st {
				c.Rows = append(c.Rows, dashRow{r.OrgName, []int{r.Open, r.Overdue, r.Fixed + r.Closed}})
			}
			d.Charts = append(d.Charts, c)
		}
	}
	// A department's own entries by mounting state.
	if a.Has(shuyu.RoleDept) && can(shuyu.ActDomainRead) {
		if ms, err := s.db.Mounts(ctx, a); err != nil {
			warn("mounts", err)
		} else {
			by := map[string]int{}
			for _, m := range ms {
				switch {
				case m.Suspended:
					by["suspended"]++
				case !m.Mounted:
					by["unmounted"]++
				case m.Overdue:
					by["overdue"]++
				default:
					by["current"]++
				}
			}
			d.Charts = append(d.Charts, statusChart("dash-entries", "dash.chart.entries", "dash.col.entries", by, lang,
				func(k string) string { return T(lang, "dash.mount."+k) }))
			d.Figures = append(d.Figures, dashFigure{"dash.fig.entries", len(ms), "/domain"})
		}
	}
	// A merchant's applications and workspaces.
	if a.Has(shuyu.RoleMerchant) {
		if apps, err := s.db.Applications(ctx, a, ""); err != nil {
			warn("applications", err)
		} else {
			by := map[string]int{}
			for _, app := range apps {
				by[app.Status]++
				if app.Status == shuyu.AppReturned || app.Status == shuyu.AppRejected {
					// Returned by the check or refused: the merchant may revise and resubmit.
					d.Todos = append(d.Todos, dashTodo{Kind: "dash.todo.revise", Title: app.Title + " · " + shuyu.StatusLabel(app.Status),
						Link: fmt.Sprintf("/applications/%d", app.ID)})
				}
			}
			d.Charts = append([]dashChart{statusChart("dash-applications", "dash.chart.applications", "dash.col.applications", by, lang,
				func(k string) string { return TOr(lang, "status."+k, shuyu.StatusLabel(k)) })}, d.Charts...)
			d.Figures = append(d.Figures, dashFigure{"dash.fig.applications", len(apps), "/applications"})
		}
		if us, err := s.db.WorkspaceUsages(ctx, a); err != nil {
			warn("usage", err)
		} else if len(us) > 0 {
			c := dashChart{ID: "dash-usage", Title: "dash.chart.usage", Kind: "hbar",
				Cols: []string{T(lang, "dash.col.workspace"), T(lang, "dash.col.simulated"), T(lang, "dash.col.released"), T(lang, "dash.col.withheld")}}
			for _, u := range us {
				c.Rows = append(c.Rows, dashRow{u.Name, []int{u.Simulated, u.Released, u.Withheld}})
			}
			d.Charts = append(d.Charts, c)
			d.Figures = append(d.Figures, dashFigure{"dash.fig.workspaces", len(us), "/workspaces"})
		}
	}
}

// statusChart is a pie of counts by status, each named by label.
func statusChart(id, title, col string, by map[string]int, lang string, label func(string) string) dashChart {
	c := dashChart{ID: id, Title: title, Kind: "pie", Cols: []string{T(lang, "dash.col.status"), T(lang, col)}}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y string) int { return cmp.Or(by[y]-by[x], cmp.Compare(x, y)) })
	for _, k := range keys {
		c.Rows = append(c.Rows, dashRow{label(k), []int{by[k]}})
	}
	return c
}
