package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"

	"shuyu"
	"shuyu/outcheck"
	"shuyu/sqlstore"
)

// The portal's pages (issue 13): the front page for anonymous visitors
// (logged-in users get their dashboard at / and the portal at /portal),
// notices, cases, policies (the measures and the approved rule texts) and
// the product marketplace. Every one is linked from the front page; every
// figure is computed from the store at request time.
func (s *Server) portalPages() {
	s.page("GET /portal", pageOpts{Public: true, Nav: "nav.portal", Group: "nav.group.work", Order: -99}, s.uiPortal)
	s.page("GET /notices", pageOpts{Public: true}, s.uiPortalPosts(shuyu.PortalNotice))
	s.page("GET /cases", pageOpts{Public: true}, s.uiPortalPosts(shuyu.PortalCase))
	s.page("GET /posts/{id}", pageOpts{Public: true}, s.uiPortalPost)
	s.page("GET /policies", pageOpts{Public: true}, s.uiPolicies)
	s.page("GET /policies/measures", pageOpts{Public: true}, s.uiMeasures)
	s.page("GET /policies/output-rules", pageOpts{Public: true}, s.uiPolicyOutputRules)
	s.page("GET /policies/{id}", pageOpts{Public: true}, s.uiPolicy)
	s.page("GET /market/products/{id}", pageOpts{Public: true}, s.uiMarketProduct)
	s.page("GET /portal/posts", pageOpts{Nav: "nav.portal.posts", Group: "nav.group.supervise", Order: 50,
		Action: shuyu.ActPortalPublish, Desc: "nav.portal.posts.desc"}, s.uiPortalManage)
	s.page("POST /portal/posts", pageOpts{Action: shuyu.ActPortalPublish}, s.uiPortalPublish)
	s.page("POST /portal/posts/{id}/withdraw", pageOpts{Action: shuyu.ActPortalPublish}, s.uiPortalWithdraw)
}

// portalTemplateFuncs: chart tables and labels for portal and dashboards.
func portalTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		// portalPercent is n of total as a whole percentage.
		"portalPercent": func(n, total int) int {
			if total == 0 {
				return 0
			}
			return n * 100 / total
		},
		"portalExcerpt": portalExcerpt,
		"portalBasis":   portalBasis,
		"portalCode":    portalCode,
		"portalLines": func(s string) []string {
			var out []string
			for _, l := range strings.Split(s, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, l)
				}
			}
			return out
		},
	}
}

// portalExcerpt is the first n characters of a text, for lists.
func portalExcerpt(s string, n int) string {
	rs := []rune(strings.Join(strings.Fields(s), " "))
	if len(rs) <= n {
		return string(rs)
	}
	return string(rs[:n]) + "…"
}

type portalData struct {
	Stats    *sqlstore.PortalStats
	Notices  []*shuyu.PortalPost
	Cases    []*shuyu.PortalPost
	Products []sqlstore.PublicProduct
	Docs     []*shuyu.Document
	Lang     string
	// Published public notices on departments and showcase scenarios
	// (issue 16; supervision_pages.go).
	DeptNotices []*shuyu.DeptNotice
	Showcase    []*shuyu.Scenario
}

// GradeLabel and CategoryLabel name chart rows in the page's language.
func (d portalData) GradeLabel(g string) string { return catalogLabelLang(d.Lang, "grade", g) }
func (d portalData) CategoryLabel(c sqlstore.PortalCount) string {
	if c.Label == "" {
		return T(d.Lang, "catalog.uncategorized")
	}
	return c.Label
}
func (d portalData) PurposeLabel(p string) string { return reviewPageData{}.Label(p) }

func (s *Server) uiPortal(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := portalData{Lang: uiLang(r)}
	var err error
	if d.Stats, err = s.db.PortalStats(ctx); err != nil {
		return err
	}
	if d.Notices, err = s.db.PortalPosts(ctx, shuyu.PortalNotice, 6); err != nil {
		return err
	}
	if d.Cases, err = s.db.PortalPosts(ctx, shuyu.PortalCase, 4); err != nil {
		return err
	}
	if d.Products, err = s.db.ReleasedProducts(ctx); err != nil {
		return err
	}
	if len(d.Products) > 6 {
		d.Products = d.Products[:6]
	}
	if d.Docs, err = s.db.PublicDocuments(ctx); err != nil {
		return err
	}
	// The portal shows what anonymous visitors may see, also to a logged-in user.
	if d.DeptNotices, err = s.db.DeptNotices(ctx, nil); err != nil {
		return err
	}
	if d.Showcase, err = s.db.ShowcaseScenarios(ctx); err != nil {
		return err
	}
	return s.render(w, r, "portal/home.html", d)
}

func (s *Server) uiPortalPosts(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		posts, err := s.db.PortalPosts(r.Context(), kind, 200)
		if err != nil {
			return err
		}
		d := map[string]any{"Kind": kind, "Posts": posts}
		if kind == shuyu.PortalNotice {
			// Notices on departments published to the public (R31.1).
			if d["DeptNotices"], err = s.db.DeptNotices(r.Context(), nil); err != nil {
				return err
			}
		}
		if kind == shuyu.PortalCase {
			// Released products are cases too: what was built from the
			// data, by whom, for which scenario (R32.1).
			if d["Products"], err = s.db.ReleasedProducts(r.Context()); err != nil {
				return err
			}
		}
		return s.render(w, r, "portal/posts.html", d)
	}
}

func (s *Server) uiPortalPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.PortalPost(r.Context(), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "portal/post.html", p)
}

func (s *Server) uiPolicies(w http.ResponseWriter, r *http.Request) error {
	docs, err := s.db.PublicDocuments(r.Context())
	if err != nil {
		return err
	}
	d := map[string]any{"Docs": docs, "Measures": measures().Title}
	if rules, err := s.db.ActiveOutputRules(r.Context()); err == nil {
		d["OutputRules"] = rules
	} else if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
		return err
	}
	return s.render(w, r, "portal/policies.html", d)
}

// portalOutputRules is the approved output-check rule set in words (R23.1):
// what a product must satisfy before it may leave the platform.
type portalOutputRules struct {
	Rules      *sqlstore.OutputRules
	K, MinCell int
	Top1, Top2 int // percentages
	Quasi      []portalQuasi
	AllowKinds []string
}

type portalQuasi struct {
	Table   string // "" for every table
	Columns []string
}

func (s *Server) uiPolicyOutputRules(w http.ResponseWriter, r *http.Request) error {
	rules, err := s.db.ActiveOutputRules(r.Context())
	if err != nil {
		return err
	}
	var rs outcheck.RuleSet
	if err := json.Unmarshal(rules.Rules, &rs); err != nil {
		return fmt.Errorf("output rules %d: %w", rules.Version, err)
	}
	// The engine's defaults (outcheck.RuleSet) for what the version leaves unset.
	d := portalOutputRules{Rules: rules, K: cmp.Or(rs.K, 10), Top1: int(cmp.Or(rs.Dominance.Top1, 0.5)*100 + 0.5),
		Top2: int(cmp.Or(rs.Dominance.Top2, 0.7)*100 + 0.5)}
	d.MinCell = cmp.Or(rs.MinCell, d.K)
	for _, t := range slices.Sorted(maps.Keys(rs.QuasiColumns)) {
		q := portalQuasi{Table: t, Columns: rs.QuasiColumns[t]}
		if t == "*" {
			q.Table = ""
		}
		d.Quasi = append(d.Quasi, q)
	}
	for _, k := range rs.AllowKinds {
		d.AllowKinds = append(d.AllowKinds, string(k))
	}
	return s.render(w, r, "portal/output_rules.html", d)
}

func (s *Server) uiMeasures(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "portal/measures.html", measures())
}

func (s *Server) uiPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	doc, err := s.db.PublicDocument(r.Context(), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "portal/policy.html", doc)
}

func (s *Server) uiMarketProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.PublicProduct(r.Context(), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "portal/product.html", map[string]any{"P": p, "Purpose": reviewPageData{}.Label(p.Purpose)})
}

func (s *Server) uiPortalManage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPortalManage(w, r, emptyForm())
}

func (s *Server) renderPortalManage(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.PortalPosts(r.Context(), "", 200)
	if err != nil {
		return err
	}
	posts, lv, exported, err := postsList(w, r, all)
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "portal/manage.html", map[string]any{"Form": f, "Posts": posts, "List": lv})
}

func (s *Server) uiPortalPublish(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	p, err := s.db.PublishPortalPost(r.Context(), uiActor(r), shuyu.PortalPostInput{Kind: f.Get("kind"), Title: f.Get("title"), Body: f.Get("body")})
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderPortalManage(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/posts/%d", p.ID), "ok", T(uiLang(r), "portal.published"))
}

func (s *Server) uiPortalWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if err := s.db.WithdrawPortalPost(r.Context(), uiActor(r), id, f.Get("reason")); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/portal/posts", "ok", T(uiLang(r), "portal.withdrawn"))
}
