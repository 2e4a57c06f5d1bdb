package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// The money pages (issue 14; docs/money.md): the public price list, the
// year's separate account with its charts (authority, operator,
// regulators), the price catalogue with caps and prices, statements for
// merchants (with .xlsx and a printable view), disputes, and the yearly
// distribution statement. Each calls the same store method as its API
// route; amounts are typed in yuan and kept in fen.
func (s *Server) moneyPages() {
	s.page("GET /prices", pageOpts{Public: true}, s.uiPrices)
	s.page("GET /money", pageOpts{Nav: "nav.money", Group: "nav.group.supervise", Order: 60, Action: shuyu.ActMoneyRead,
		Desc: "nav.money.desc"}, s.uiMoney)
	s.page("POST /money/costs", pageOpts{Action: shuyu.ActMoneyCost}, s.uiMoneyCost)
	s.page("POST /money/allowed", pageOpts{Action: shuyu.ActMoneyApprove}, s.uiMoneyAllowed)
	s.page("POST /money/shares", pageOpts{Action: shuyu.ActMoneyApprove}, s.uiMoneyShare)
	s.page("POST /money/close", pageOpts{Action: shuyu.ActMoneyOperate}, s.uiMoneyClose)
	s.page("POST /money/distribute", pageOpts{Action: shuyu.ActMoneyOperate}, s.uiMoneyDistribute)
	s.page("POST /money/statements", pageOpts{Action: shuyu.ActMoneyOperate}, s.uiMoneyIssue)
	s.page("GET /money/prices", pageOpts{Nav: "nav.money.prices", Group: "nav.group.supervise", Order: 61, Action: shuyu.ActMoneyRead},
		s.uiMoneyPrices)
	s.page("POST /money/prices", pageOpts{Action: shuyu.ActMoneyApprove}, s.uiMoneyPriceCreate)
	s.page("POST /money/prices/{id}/cap", pageOpts{Action: shuyu.ActMoneyApprove}, s.uiMoneyPriceCap)
	s.page("POST /money/prices/{id}/price", pageOpts{Action: shuyu.ActPriceSet}, s.uiMoneyPriceSet)
	s.page("GET /money/disputes", pageOpts{Nav: "nav.money.disputes", Group: "nav.group.supervise", Order: 62,
		Action: shuyu.ActBillResolve}, s.uiMoneyDisputes)
	s.page("POST /money/disputes/{id}/resolve", pageOpts{Action: shuyu.ActBillResolve}, s.uiMoneyResolve)
	s.page("GET /money/distribution", pageOpts{Nav: "nav.money.distribution", Group: "nav.group.supervise", Order: 63,
		Action: shuyu.ActMoneyDistRead}, s.uiMoneyDistribution)
	s.page("GET /bills", pageOpts{Nav: "nav.bills", Group: "nav.group.work", Order: 40, Action: shuyu.ActBillRead,
		Desc: "nav.bills.desc"}, s.uiBills)
	s.page("GET /bills/{id}", pageOpts{Action: shuyu.ActBillRead}, s.uiBill)
	s.page("GET /bills/{id}/print", pageOpts{Action: shuyu.ActBillRead}, s.uiBillPrint)
	s.page("GET /bills/{id}/xlsx", pageOpts{Action: shuyu.ActBillRead}, s.uiBillXLSX)
	s.page("POST /bills/charges/{id}/dispute", pageOpts{Action: shuyu.ActBillDispute}, s.uiBillDispute)
}

// moneyTemplateFuncs: amounts, units and quantities for the money pages.
func moneyTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"moneyYuan": shuyu.FormatFen,
		"moneyQty":  shuyu.QuantityText,
		"moneyBP": func(bp int64) string { // basis points as a percentage, exact
			return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%d.%02d", bp/100, bp%100), "0"), ".") + "%"
		},
		"moneyCumulative": func(ms []sqlstore.MonthRevenue) []int64 {
			out := make([]int64, len(ms))
			var sum int64
			for i, m := range ms {
				sum += m.Fen
				out[i] = sum
			}
			return out
		},
		"moneyUnits":     func() []string { return shuyu.Units },
		"moneyServices":  func() []string { return shuyu.Services },
		"moneyCostCats":  func() []string { return shuyu.CostCategories },
		"moneyPurposes":  func() []string { return []string{shuyu.PurposeIndustry, shuyu.PurposeWelfare, shuyu.PurposeGovernance} },
		"moneyClassFen":  func(m sqlstore.MonthRevenue, class string) int64 { return m.ByClass[class] },
		"moneyMonthName": func(p shuyu.Period) string { return string(p)[5:] },
	}
}

func (s *Server) uiPrices(w http.ResponseWriter, r *http.Request) error {
	items, err := s.db.Prices(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "money/prices_public.html", map[string]any{"Items": items})
}

// moneyYear is the ?year= of a page, this Beijing year by default.
func (s *Server) moneyYear(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		v = r.FormValue("year")
	}
	if v == "" {
		return s.db.Now().In(shuyu.MoneyZone).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2100 {
		return 0, shuyu.Errorf(shuyu.EINVALID, "年度无效 (invalid year)")
	}
	return y, nil
}

func (s *Server) uiMoney(w http.ResponseWriter, r *http.Request) error {
	y, err := s.moneyYear(r)
	if err != nil {
		return err
	}
	return s.renderMoney(w, r, y, emptyForm())
}

func (s *Server) renderMoney(w http.ResponseWriter, r *http.Request, year int, f *uiForm) error {
	acc, err := s.db.Account(r.Context(), uiActor(r), year)
	if err != nil {
		return err
	}
	prev := shuyu.PeriodOf(s.db.Now().In(shuyu.MoneyZone).AddDate(0, -1, 0))
	return s.renderStatus(w, r, f.Status, "money/account.html", map[string]any{"Form": f, "Acc": acc, "Year": year,
		"Prev": year - 1, "Next": year + 1, "LastMonth": string(prev)})
}

// moneyFen reads a yuan field as fen; a bad value is a field error.
func moneyFen(f *uiForm, name string) (int64, error) {
	v, err := shuyu.ParseYuan(f.Get(name))
	if err != nil {
		return 0, shuyu.Errorf(shuyu.EINVALID, "金额格式有误 (invalid amount)").WithDetails([]shuyu.FieldError{{Field: name,
			Message: "金额以元为单位，最多两位小数"}})
	}
	return v, nil
}

// moneyForm runs a form's store call and answers like every form: back to
// the page with the input and the message on a 4xx, a redirect otherwise.
func (s *Server) moneyForm(w http.ResponseWriter, r *http.Request, call func(f *uiForm) error, again func(f *uiForm) error,
	next, flash string) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if err := call(f); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return again(f)
	}
	return s.redirectFlash(w, r, next, "ok", T(uiLang(r), flash))
}

func (s *Server) moneyAgain(w http.ResponseWriter, r *http.Request) func(f *uiForm) error {
	return func(f *uiForm) error {
		y, err := s.moneyYear(r)
		if err != nil {
			y = s.db.Now().In(shuyu.MoneyZone).Year()
		}
		return s.renderMoney(w, r, y, f)
	}
}

func formInt(f *uiForm, name string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(f.Get(name)))
	return n
}

func (s *Server) uiMoneyCost(w http.ResponseWriter, r *http.Request) error {
	y, _ := s.moneyYear(r)
	return s.moneyForm(w, r, func(f *uiForm) error {
		amount, err := moneyFen(f, "amount")
		if err != nil {
			return err
		}
		subsidy, err := moneyFen(f, "subsidy")
		if err != nil {
			return err
		}
		_, err = s.db.RecordCost(r.Context(), uiActor(r), shuyu.CostInput{Year: formInt(f, "year"), Category: f.Get("category"),
			AmountFen: amount, SubsidyFen: subsidy, Note: f.Get("note")})
		return err
	}, s.moneyAgain(w, r), fmt.Sprintf("/money?year=%d", y), "money.saved")
}

func (s *Server) uiMoneyAllowed(w http.ResponseWriter, r *http.Request) error {
	y, _ := s.moneyYear(r)
	return s.moneyForm(w, r, func(f *uiForm) error {
		cost, err := moneyFen(f, "allowed_cost")
		if err != nil {
			return err
		}
		tax, err := moneyFen(f, "tax")
		if err != nil {
			return err
		}
		rate, err := moneyFen(f, "profit_rate") // a percentage with two decimals reads like yuan: 6.5 → 650 bp
		if err != nil {
			return shuyu.Errorf(shuyu.EINVALID, "利润率格式有误 (invalid rate)").WithDetails([]shuyu.FieldError{{Field: "profit_rate",
				Message: "利润率为百分数，最多两位小数"}})
		}
		_, err = s.db.ApproveAllowedRevenue(r.Context(), uiActor(r), shuyu.AllowedInput{Year: formInt(f, "year"), AllowedCostFen: cost,
			ProfitRateBP: rate, TaxFen: tax, ApprovalRef: f.Get("approval_ref"), Note: f.Get("note")})
		return err
	}, s.moneyAgain(w, r), fmt.Sprintf("/money?year=%d", y), "money.approved")
}

func (s *Server) uiMoneyShare(w http.ResponseWriter, r *http.Request) error {
	y, _ := s.moneyYear(r)
	return s.moneyForm(w, r, func(f *uiForm) error {
		city, err1 := shuyu.ParseYuan(f.Get("city"))
		dept, err2 := shuyu.ParseYuan(f.Get("dept"))
		if err1 != nil || err2 != nil {
			return shuyu.Errorf(shuyu.EINVALID, "比例格式有误 (invalid share)").WithDetails([]shuyu.FieldError{{Field: "city",
				Message: "比例为百分数，最多两位小数"}})
		}
		_, err := s.db.ApproveShare(r.Context(), uiActor(r), shuyu.ShareInput{Year: formInt(f, "year"), CityBP: city, DeptBP: dept,
			Note: f.Get("note")})
		return err
	}, s.moneyAgain(w, r), fmt.Sprintf("/money?year=%d", y), "money.approved")
}

func (s *Server) uiMoneyClose(w http.ResponseWriter, r *http.Request) error {
	y, _ := s.moneyYear(r)
	return s.moneyForm(w, r, func(f *uiForm) error {
		_, err := s.db.CloseYear(r.Context(), uiActor(r), formInt(f, "year"))
		return err
	}, s.moneyAgain(w, r), fmt.Sprintf("/money?year=%d", y), "money.closed")
}

func (s *Server) uiMoneyDistribute(w http.ResponseWriter, r *http.Request) error {
	y, _ := s.moneyYear(r)
	return s.moneyForm(w, r, func(f *uiForm) error {
		_, err := s.db.Distribute(r.Context(), uiActor(r), formInt(f, "year"))
		return err
	}, s.moneyAgain(w, r), fmt.Sprintf("/money/distribution?year=%d", y), "money.distributed")
}

func (s *Server) uiMoneyIssue(w http.ResponseWriter, r *http.Request) error {
	return s.moneyForm(w, r, func(f *uiForm) error {
		_, err := s.db.IssueStatements(r.Context(), uiActor(r), shuyu.Period(strings.TrimSpace(f.Get("period"))))
		return err
	}, s.moneyAgain(w, r), "/bills", "money.issued")
}

func (s *Server) uiMoneyPrices(w http.ResponseWriter, r *http.Request) error {
	return s.renderMoneyPrices(w, r, emptyForm())
}

func (s *Server) renderMoneyPrices(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.PriceCatalogue(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	items, lv, exported, err := pricesList(w, r, all)
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "money/catalogue.html", map[string]any{"Form": f, "Items": items, "List": lv})
}

func (s *Server) moneyPricesAgain(w http.ResponseWriter, r *http.Request) func(f *uiForm) error {
	return func(f *uiForm) error { return s.renderMoneyPrices(w, r, f) }
}

func (s *Server) uiMoneyPriceCreate(w http.ResponseWriter, r *http.Request) error {
	return s.moneyForm(w, r, func(f *uiForm) error {
		capFen, err := moneyFen(f, "cap")
		if err != nil {
			return err
		}
		product, _ := strconv.ParseInt(strings.TrimSpace(f.Get("product_id")), 10, 64)
		_, err = s.db.CreatePriceItem(r.Context(), uiActor(r), shuyu.PriceItemInput{Service: f.Get("service"), ProductID: product,
			Name: f.Get("name"), Class: f.Get("class"), Unit: f.Get("unit"), Purpose: f.Get("purpose"), CapFen: capFen,
			TrialUntil: strings.TrimSpace(f.Get("trial_until")), Note: f.Get("note")})
		return err
	}, s.moneyPricesAgain(w, r), "/money/prices", "money.saved")
}

func (s *Server) uiMoneyPriceCap(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.moneyForm(w, r, func(f *uiForm) error {
		capFen, err := moneyFen(f, "cap")
		if err != nil {
			return err
		}
		_, err = s.db.SetPriceCap(r.Context(), uiActor(r), id, capFen, strings.TrimSpace(f.Get("trial_until")), f.Get("reason"))
		return err
	}, s.moneyPricesAgain(w, r), "/money/prices", "money.saved")
}

func (s *Server) uiMoneyPriceSet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.moneyForm(w, r, func(f *uiForm) error {
		price, err := moneyFen(f, "price")
		if err != nil {
			return err
		}
		_, err = s.db.SetPrice(r.Context(), uiActor(r), id, price, f.Get("reason"))
		return err
	}, s.moneyPricesAgain(w, r), "/money/prices", "money.saved")
}

func (s *Server) uiMoneyDisputes(w http.ResponseWriter, r *http.Request) error {
	return s.renderMoneyDisputes(w, r, emptyForm())
}

func (s *Server) renderMoneyDisputes(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	ds, err := s.db.Disputes(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "money/disputes.html", map[string]any{"Form": f, "Disputes": ds})
}

func (s *Server) uiMoneyResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.moneyForm(w, r, func(f *uiForm) error {
		return s.db.ResolveDispute(r.Context(), uiActor(r), id, f.Get("outcome"), f.Get("resolution"))
	}, func(f *uiForm) error { return s.renderMoneyDisputes(w, r, f) }, "/money/disputes", "money.resolved")
}

func (s *Server) uiMoneyDistribution(w http.ResponseWriter, r *http.Request) error {
	y, err := s.moneyYear(r)
	if err != nil {
		return err
	}
	x, err := s.db.Distribution(r.Context(), uiActor(r), y)
	if err != nil && shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		return err
	}
	return s.render(w, r, "money/distribution.html", map[string]any{"Dist": x, "Year": y, "Prev": y - 1, "Next": y + 1})
}

func (s *Server) uiBills(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	all, err := s.db.Bills(r.Context(), a, 0)
	if err != nil {
		return err
	}
	bills, list, exported, err := billsList(w, r, all)
	if exported || err != nil {
		return err
	}
	data := map[string]any{"Bills": bills, "List": list}
	if a.OrgKind == shuyu.OrgMerchant {
		spend, err := s.db.MerchantSpend(r.Context(), a, a.OrgID)
		if err != nil {
			return err
		}
		open, err := s.db.OpenCharges(r.Context(), a, a.OrgID, 50)
		if err != nil {
			return err
		}
		data["Spend"], data["Open"] = spend, open
	}
	return s.render(w, r, "money/bills.html", data)
}

func (s *Server) uiBill(w http.ResponseWriter, r *http.Request) error {
	return s.renderBill(w, r, "money/bill.html", emptyForm())
}

func (s *Server) uiBillPrint(w http.ResponseWriter, r *http.Request) error {
	return s.renderBill(w, r, "money/bill_print.html", emptyForm())
}

func (s *Server) renderBill(w http.ResponseWriter, r *http.Request, tpl string, f *uiForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.db.Bill(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	dispute := tpl == "money/bill.html" && shuyu.Can(uiActor(r), shuyu.ActBillDispute, shuyu.Resource{Kind: "bill", OrgID: b.OrgID, Exists: true})
	return s.renderStatus(w, r, f.Status, tpl, map[string]any{"Form": f, "Bill": b, "Dispute": dispute})
}

func (s *Server) uiBillXLSX(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeBillXLSX(w, r.Context(), uiActor(r), id)
}

func (s *Server) uiBillDispute(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	stmt := formInt(f, "statement")
	if err := s.db.DisputeCharge(r.Context(), uiActor(r), id, f.Get("reason")); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		r.SetPathValue("id", strconv.Itoa(stmt))
		return s.renderBill(w, r, "money/bill.html", f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/bills/%d", stmt), "ok", T(uiLang(r), "money.disputed"))
}
