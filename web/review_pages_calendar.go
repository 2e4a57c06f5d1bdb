package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/workday"
)

// The working-day calendar (issue 4, R18.2, R20.2, R21.1): a year's
// official holidays and make-up working days, the days the authority added
// (next year's schedule is announced each November), a form to add a
// holiday period or a make-up working day with its basis, and a due-date
// calculator on the effective calendar. Every change is audited by the
// store.

// reviewuiCal is the calendar page's data.
type reviewuiCal struct {
	Year, Prev, Next int
	Covered          bool
	Days             []reviewuiDay
	Added            []sqlstore.CalendarDay
	Holidays         int
	Workdays         int
	CanEdit          bool
	DueFrom          string
	DueN             string
	Due              *time.Time
	DueLeft          int
	DuePast          bool
	DueErr           string
}

// reviewuiDay is one listed day with its weekday and whether the authority
// added it (rather than the embedded official schedule).
type reviewuiDay struct {
	workday.Day
	Weekday string
	Added   bool
}

var reviewuiWeekdays = map[string][7]string{
	langZH: {"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
	langEN: {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
}

func (s *Server) reviewuiCalendar(w http.ResponseWriter, r *http.Request) error {
	return s.reviewuiRenderCalendar(w, r, http.StatusOK, emptyForm(), r.URL.Query())
}

func (s *Server) reviewuiRenderCalendar(w http.ResponseWriter, r *http.Request, status int, f *uiForm, q url.Values) error {
	now := s.cfg.Now().In(workday.Zone)
	year, err := strconv.Atoi(q.Get("year"))
	if err != nil || year < 2000 || year > 2100 {
		year = now.Year()
	}
	cal, err := s.db.Calendar(r.Context())
	if err != nil {
		return err
	}
	added, err := s.db.CalendarDays(r.Context())
	if err != nil {
		return err
	}
	lang := uiLang(r)
	c := &reviewuiCal{Year: year, Prev: year - 1, Next: year + 1, Covered: cal.Covered(year),
		CanEdit: shuyu.Can(uiActor(r), shuyu.ActCalendarUpdate, shuyu.Resource{})}
	isAdded := map[string]bool{}
	for _, d := range added {
		if len(d.Date) >= 4 && d.Date[:4] == strconv.Itoa(year) {
			c.Added = append(c.Added, d)
			isAdded[d.Date] = true
		}
	}
	for _, d := range cal.Days(year) {
		wd := ""
		if t, err := time.ParseInLocation(time.DateOnly, d.Date, workday.Zone); err == nil {
			wd = reviewuiWeekdays[lang][t.Weekday()]
		}
		c.Days = append(c.Days, reviewuiDay{Day: d, Weekday: wd, Added: isAdded[d.Date]})
		if d.Kind == workday.Holiday {
			c.Holidays++
		} else {
			c.Workdays++
		}
	}
	// The due-date calculator: n working days after a date, as the
	// deadlines of the measures are computed (the day itself not counted).
	c.DueFrom, c.DueN = q.Get("due_from"), q.Get("due_n")
	if c.DueFrom != "" || c.DueN != "" {
		from, e1 := time.ParseInLocation(time.DateOnly, c.DueFrom, workday.Zone)
		n, e2 := strconv.Atoi(c.DueN)
		switch {
		case e1 != nil || e2 != nil || n < 1 || n > 365:
			c.DueErr = T(lang, "reviewui.cal.due_bad")
		default:
			if due, err := cal.Due(from, n); err != nil {
				c.DueErr = uiMessage(lang, shuyu.ErrorMessage(err))
			} else {
				c.Due, c.DueLeft, c.DuePast = &due, cal.WorkdaysLeft(s.cfg.Now(), due), workday.Overdue(due, s.cfg.Now())
			}
		}
	}
	return s.renderStatus(w, r, status, "review/calendar.html", reviewuiData{Form: f, Cal: c})
}

// reviewuiCalendarAdd adds one day or a period (from–to, inclusive) of one
// kind: a holiday period or a make-up working day, with the basis (the
// State Council notice) as the reason.
func (s *Server) reviewuiCalendarAdd(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	var kind workday.DayKind
	from, e1 := time.ParseInLocation(time.DateOnly, f.Get("from"), workday.Zone)
	to := from
	if f.Get("to") != "" {
		to, err = time.ParseInLocation(time.DateOnly, f.Get("to"), workday.Zone)
	}
	switch {
	case e1 != nil || err != nil:
		err = shuyu.Errorf(shuyu.EINVALID, "日期须为 YYYY-MM-DD (bad date)").
			WithDetails([]shuyu.FieldError{{Field: "from", Message: "请选择日期"}})
	case to.Before(from) || to.Sub(from) > 60*24*time.Hour:
		err = shuyu.Errorf(shuyu.EINVALID, "结束日期须不早于开始日期，且一次最多登记 61 天 (bad period)").
			WithDetails([]shuyu.FieldError{{Field: "to", Message: "结束日期有误"}})
	case kind.UnmarshalText([]byte(f.Get("kind"))) != nil:
		err = shuyu.Errorf(shuyu.EINVALID, "请选择放假或调休上班 (choose a kind)")
	}
	if err == nil {
		var days []workday.Day
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			days = append(days, workday.Day{Date: d.Format(time.DateOnly), Kind: kind, Name: f.Get("name")})
		}
		err = s.db.AddCalendarDays(r.Context(), uiActor(r), days, f.Get("reason"))
	}
	q := url.Values{"year": {strconv.Itoa(from.Year())}}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		q.Set("year", r.URL.Query().Get("year"))
		if !from.IsZero() {
			q.Set("year", strconv.Itoa(from.Year()))
		}
		return s.reviewuiRenderCalendar(w, r, f.Status, f, q)
	}
	return s.redirectFlash(w, r, "/review/calendar?"+q.Encode(), "ok", T(uiLang(r), "reviewui.cal.added"))
}

// reviewuiCalendarRemove corrects a day the authority added.
func (s *Server) reviewuiCalendarRemove(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	date := f.Get("date")
	err = s.db.RemoveCalendarDay(r.Context(), uiActor(r), date, f.Get("reason"))
	year := ""
	if len(date) >= 4 {
		year = date[:4]
	}
	return s.reviewuiDone(w, r, "/review/calendar?"+url.Values{"year": {year}}.Encode(), "reviewui.cal.removed", err)
}
