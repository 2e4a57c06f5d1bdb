package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"shuyu"
)

// Annual disclosure pages (R32.1, NDIS.1): the public list of years with
// the form to generate a draft, one year's disclosure (public once
// published; printable; .xlsx) with the authority's publish form on a
// draft.
func (s *Server) disclosurePages() {
	s.page("GET /disclosures", pageOpts{Public: true, Nav: "nav.disclosures", Group: "nav.group.supervise", Order: 56,
		Desc: "nav.disclosures.desc"}, s.uiDisclosures)
	s.page("POST /disclosures", pageOpts{Action: shuyu.ActDisclosureDraft}, s.uiDisclosureGenerate)
	s.page("GET /disclosures/{year}", pageOpts{Public: true}, s.uiDisclosure)
	s.page("GET /disclosures/{year}/export.xlsx", pageOpts{Public: true}, s.uiDisclosureXLSX)
	s.page("POST /disclosures/{year}/publish", pageOpts{Action: shuyu.ActDisclosurePublish}, s.uiDisclosurePublish)
}

type disclosuresData struct {
	Items    []shuyu.DisclosureSummary
	List     *listView
	Form     *uiForm
	LastYear int
}

// disclosuresData: the years the reader may see on the list component
// (search by year, filter by status, .xlsx); exported is true when the
// answer was the workbook.
func (s *Server) disclosuresData(w http.ResponseWriter, r *http.Request, f *uiForm) (d *disclosuresData, exported bool, err error) {
	items, err := s.db.Disclosures(r.Context(), uiActor(r))
	if err != nil {
		return nil, false, err
	}
	lang := uiLang(r)
	type D = shuyu.DisclosureSummary
	page, list, exported, err := runList(w, r, items, listSpec[D]{
		Search: func(x D) string { return strconv.Itoa(x.Year) }, SearchHint: "dsc.search.hint",
		Filters: []listFilter[D]{{Name: "status", Label: "dsc.status",
			Options: listOptions(lang, "dsc.status.", shuyu.DisclosureDraft, shuyu.DisclosurePublished),
			Match:   func(x D, v string) bool { return x.Status == v }}},
		Columns: []listCol[D]{
			{"dsc.year", func(x D) any { return x.Year }},
			{"dsc.status", func(x D) any { return T(lang, "dsc.status."+x.Status) }},
			{"dsc.due", func(x D) any { return x.Due }},
			{"dsc.published_at", func(x D) any { return x.PublishedAt }},
			{"dsc.digest", func(x D) any { return x.DigestSM3 }},
		},
		Name: "nav.disclosures",
	})
	if exported || err != nil {
		return nil, exported, err
	}
	return &disclosuresData{Items: page, List: list, Form: f, LastYear: s.db.Now().In(shanghai).Year() - 1}, false, nil
}

func (s *Server) uiDisclosures(w http.ResponseWriter, r *http.Request) error {
	d, exported, err := s.disclosuresData(w, r, nil)
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "disclosure/list.html", d)
}

func (s *Server) uiDisclosureGenerate(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	year, perr := strconv.Atoi(strings.TrimSpace(f.Get("year")))
	if perr != nil {
		err = shuyu.Errorf(shuyu.EINVALID, "年度须为四位数字 (year required)").WithDetails([]shuyu.FieldError{{Field: "year", Message: "须为四位数字"}})
	} else {
		_, err = s.db.GenerateDisclosure(r.Context(), uiActor(r), year)
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		d, _, lerr := s.disclosuresData(nil, r, f)
		if lerr != nil {
			return lerr
		}
		return s.renderStatus(w, r, f.Status, "disclosure/list.html", d)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/disclosures/%d", year), "ok", T(uiLang(r), "dsc.generated"))
}

func (s *Server) disclosureOf(r *http.Request) (*shuyu.AnnualDisclosure, error) {
	year, err := disclosureYear(r.PathValue("year"))
	if err != nil {
		return nil, err
	}
	return s.db.Disclosure(r.Context(), uiActor(r), year)
}

func (s *Server) uiDisclosure(w http.ResponseWriter, r *http.Request) error {
	d, err := s.disclosureOf(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "disclosure/detail.html", d)
}

func (s *Server) uiDisclosureXLSX(w http.ResponseWriter, r *http.Request) error {
	d, err := s.disclosureOf(r)
	if err != nil {
		return err
	}
	return s.writeDisclosureXLSX(w, uiLang(r), d)
}

func (s *Server) uiDisclosurePublish(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	year, err := disclosureYear(r.PathValue("year"))
	if err != nil {
		return err
	}
	_, err = s.db.PublishDisclosure(r.Context(), uiActor(r), year, f.Get("digest_sm3"))
	return s.reviewuiDone(w, r, fmt.Sprintf("/disclosures/%d", year), "dsc.published", err)
}

// writeDisclosureXLSX answers the disclosure as one sheet of section, item
// and value rows, through the list pages' workbook writer.
func (s *Server) writeDisclosureXLSX(w http.ResponseWriter, lang string, d *shuyu.AnnualDisclosure) error {
	rows := disclosureRows(lang, d)
	return writeListXLSX(w, fmt.Sprintf("%s-%d", T(lang, "dsc.title.short"), d.Year),
		[]string{T(lang, "dsc.col.section"), T(lang, "dsc.col.item"), T(lang, "dsc.col.value")}, rows)
}

// disclosureRows flattens the content: every figure of the page, in its order.
func disclosureRows(lang string, d *shuyu.AnnualDisclosure) [][]any {
	c := d.Content
	t := func(k string, a ...any) string { return Tf(lang, k, a...) }
	var rows [][]any
	add := func(sec, item string, v any) { rows = append(rows, []any{t(sec), item, fmt.Sprint(v)}) }
	add("dsc.sec.period", t("dsc.year"), d.Year)
	add("dsc.sec.period", t("dsc.period"), c.From+" — "+c.To)
	add("dsc.sec.period", t("dsc.status"), t("dsc.status."+d.Status))
	add("dsc.sec.period", t("dsc.digest"), d.DigestSM3)
	for _, o := range []struct {
		sec string
		org shuyu.DisclosureOrg
	}{{"dsc.sec.body", c.Body}, {"dsc.sec.operator", c.Operator}} {
		add(o.sec, t("dsc.org.name"), o.org.Name)
		add(o.sec, t("dsc.org.code"), o.org.Code)
		add(o.sec, t("dsc.org.region"), o.org.Region)
	}
	for _, a := range c.Authorizations {
		add("dsc.sec.authorization", t("dsc.auth.number"), a.Number+" "+a.Title)
		add("dsc.sec.authorization", t("dsc.auth.object"), a.Object)
		add("dsc.sec.authorization", t("dsc.auth.content"), a.Content)
		add("dsc.sec.authorization", t("dsc.auth.mode"), t("authz.mode."+string(a.Mode)))
		add("dsc.sec.authorization", t("dsc.auth.scope"), strings.Join(a.Scope, "；"))
		add("dsc.sec.authorization", t("dsc.auth.term"), a.TermStart+" — "+a.LastDay)
		add("dsc.sec.authorization", t("dsc.auth.filing"), a.FilingNumber)
	}
	if c.Allowed != nil {
		add("dsc.sec.prices", t("dsc.allowed"), shuyu.FormatFen(c.Allowed.MaxRevenueFen)+" （"+c.Allowed.ApprovalRef+"）")
	}
	price := func(p shuyu.DisclosurePrice) string {
		if p.Free {
			return t("dsc.free")
		}
		v := t("dsc.cap") + " " + shuyu.FormatFen(p.CapFen)
		if p.PriceSet {
			v += "；" + t("dsc.price") + " " + shuyu.FormatFen(p.PriceFen)
		}
		return v + " / " + t("money.unit."+p.Unit)
	}
	for _, p := range c.Prices {
		add("dsc.sec.prices", p.Name, price(p))
	}
	for _, r := range c.Resources {
		add("dsc.sec.resources", r.Name+"（"+r.Code+"）", t("dsc.resource.row", r.Department, r.Covered, r.Workspaces, r.Queries, r.Products))
	}
	for _, p := range c.Products {
		var ps []string
		for _, x := range p.Prices {
			ps = append(ps, x.Name+" "+price(x))
		}
		add("dsc.sec.products", p.Name, t("dsc.product.row", p.Merchant, p.FilingNo, p.ReleasedOn, p.Deliveries, strings.Join(ps, "；")))
	}
	u := c.Usage
	add("dsc.sec.usage", t("dsc.usage.workspaces"), u.Workspaces)
	add("dsc.sec.usage", t("dsc.usage.queries"), u.Queries)
	add("dsc.sec.usage", t("dsc.usage.released"), u.Released)
	add("dsc.sec.usage", t("dsc.usage.deliveries"), u.Deliveries)
	add("dsc.sec.usage", t("dsc.usage.rows"), u.DeliveredRows)
	add("dsc.sec.usage", t("dsc.usage.calls"), u.APICalls)
	for _, k := range c.Applications {
		add("dsc.sec.applications", TOr(lang, "status."+k.Key, shuyu.StatusLabel(k.Key)), k.Count)
	}
	k := c.Complaints
	add("dsc.sec.complaints", t("dsc.complaints.quality"), k.Quality)
	add("dsc.sec.complaints", t("dsc.complaints.quality_resolved"), k.QualityResolved)
	add("dsc.sec.complaints", t("dsc.complaints.disputes"), k.Disputes)
	add("dsc.sec.complaints", t("dsc.complaints.disputes_upheld"), k.DisputesUpheld)
	add("dsc.sec.complaints", t("dsc.complaints.disputes_rejected"), k.DisputesRejected)
	add("dsc.sec.complaints", t("dsc.complaints.objections"), k.Objections)
	if c.Revenue != nil {
		add("dsc.sec.revenue", t("dsc.revenue"), shuyu.FormatFen(c.Revenue.RevenueFen))
		add("dsc.sec.revenue", t("dsc.revenue.max"), shuyu.FormatFen(c.Revenue.MaxRevenueFen))
		add("dsc.sec.revenue", t("dsc.revenue.excess"), shuyu.FormatFen(c.Revenue.ExcessFen))
	}
	return rows
}

// disclosureTemplateFuncs: labels of the disclosure pages.
func disclosureTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"dscTone": func(s string) string {
			return map[string]string{shuyu.DisclosureDraft: "warn", shuyu.DisclosurePublished: "ok"}[s]
		},
		"dscStatusKey": func(s string) string { return "dsc.status." + s },
		"dscAppKey":    func(s string) string { return "status." + s },
	}
}
