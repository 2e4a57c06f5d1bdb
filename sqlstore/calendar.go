package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"shuyu"
	"shuyu/workday"
)

// The effective calendar is the embedded official schedule plus the days
// the authority added (next year's schedule, announced each November). A
// version number in settings changes with every addition or removal, so
// each process rebuilds its cached calendar only when another process (or
// this one) changed the days. Deadlines already computed are stored on
// their rows and do not move when the calendar changes.
const keyCalendarVersion = "calendar.version"

// calendarCache is a store's last loaded calendar and the version it was
// built from (DB.calendar).
type calendarCache struct {
	mu      sync.Mutex
	version string
	cal     *workday.Calendar
}

func (c *calendarCache) get() (string, *workday.Calendar) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version, c.cal
}

func (c *calendarCache) set(version string, cal *workday.Calendar) {
	c.mu.Lock()
	c.version, c.cal = version, cal
	c.mu.Unlock()
}

// drop forgets the calendar (DB.Close).
func (c *calendarCache) drop() { c.set("", nil) }

// CalendarDay is a day the authority added, with who added it and when.
type CalendarDay struct {
	workday.Day
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func (tx *Tx) calendarVersion() (string, error) {
	var v string
	err := tx.queryRow(`SELECT value FROM settings WHERE key = ?`, keyCalendarVersion).Scan(&v)
	if isNoRows(err) {
		return "0", nil
	}
	return v, err
}

func (tx *Tx) calendarDays() ([]CalendarDay, error) {
	rows, err := tx.query(`SELECT date, kind, name, created_by, created_at FROM calendar_days ORDER BY date`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CalendarDay
	for rows.Next() {
		var d CalendarDay
		var kind string
		var at int64
		if err := rows.Scan(&d.Date, &kind, &d.Name, &d.CreatedBy, &at); err != nil {
			return nil, err
		}
		if err := d.Kind.UnmarshalText([]byte(kind)); err != nil {
			return nil, err
		}
		d.CreatedAt = fromMicros(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// calendar returns the effective calendar (R18.2, R20.2, R21.1 deadlines).
func (tx *Tx) calendar() (*workday.Calendar, error) {
	v, err := tx.calendarVersion()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: calendar: %w", err)
	}
	if have, cal := tx.d.calendar.get(); cal != nil && have == v {
		return cal, nil
	}
	days, err := tx.calendarDays()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: calendar: %w", err)
	}
	extra := make([]workday.Day, len(days))
	for i, d := range days {
		extra[i] = d.Day
	}
	cal, err := workday.New(extra...)
	if err != nil {
		return nil, err
	}
	tx.d.calendar.set(v, cal)
	return cal, nil
}

// due is the deadline n working days after from: the acceptance day does
// not count; the end of the Nth working day, Asia/Shanghai.
func (tx *Tx) due(from time.Time, n int) (time.Time, error) {
	cal, err := tx.calendar()
	if err != nil {
		return time.Time{}, err
	}
	return cal.Due(from, n)
}

// deadline presents a stored deadline against the store's clock. It runs
// no query (it is called while rows are being read, and PostgreSQL allows
// one open statement per connection): it uses the last calendar this
// process loaded, or the embedded one. Only the "working days left" shown
// depends on it; the deadline itself was computed and stored at acceptance
// and Overdue needs no calendar.
func (tx *Tx) deadline(due time.Time) shuyu.Deadline {
	dl := shuyu.Deadline{Due: due.In(workday.Zone), Overdue: workday.Overdue(due, tx.now)}
	cal := calendarEmbedded()
	if _, c := tx.d.calendar.get(); c != nil {
		cal = c
	}
	if cal != nil {
		dl.WorkdaysLeft = cal.WorkdaysLeft(tx.now, due)
	}
	return dl
}

var calendarEmbedded = sync.OnceValue(func() *workday.Calendar {
	cal, _ := workday.New()
	return cal
})

// calendarRefresh loads the effective calendar into the cache before a
// listing shows deadlines.
func (tx *Tx) calendarRefresh() error {
	_, err := tx.calendar()
	return err
}

// Calendar returns the effective working-day calendar.
func (d *DB) Calendar(ctx context.Context) (*workday.Calendar, error) {
	var cal *workday.Calendar
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		cal, err = tx.calendar()
		return err
	})
	return cal, err
}

// CalendarDays lists the days the authority added to the schedule.
func (d *DB) CalendarDays(ctx context.Context) ([]CalendarDay, error) {
	var out []CalendarDay
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.calendarDays()
		return err
	})
	return out, err
}

// AddCalendarDays adds days to the official schedule (the authority, when
// the State Council announces next year's holidays). The whole set is
// checked with workday.New first: a bad date, a make-up day on a weekday or
// a conflict with a known day changes nothing.
func (d *DB) AddCalendarDays(ctx context.Context, actor *shuyu.Actor, days []workday.Day, reason string) error {
	if err := shuyu.Authorize(actor, shuyu.ActCalendarUpdate, shuyu.Resource{Kind: "calendar"}); err != nil {
		return err
	}
	if len(days) == 0 || len(days) > 400 {
		return shuyu.Errorf(shuyu.EINVALID, "须提交 1 至 400 个日期 (1 to 400 days)")
	}
	if strings.TrimSpace(reason) == "" {
		return shuyu.Errorf(shuyu.EINVALID, "须填写依据，如国务院办公厅通知文号 (reason required)")
	}
	for i := range days {
		days[i].Name = strings.TrimSpace(days[i].Name)
		if n := len([]rune(days[i].Name)); n < 1 || n > 20 {
			return shuyu.Errorf(shuyu.EINVALID, "第 %d 个日期须填写 1 至 20 字的节日名称 (name required)", i+1)
		}
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		cur, err := tx.calendarDays()
		if err != nil {
			return err
		}
		all := make([]workday.Day, 0, len(cur)+len(days))
		for _, c := range cur {
			all = append(all, c.Day)
		}
		base, err := workday.New(all...)
		if err != nil {
			return err
		}
		for _, dd := range days {
			t, err := time.ParseInLocation(time.DateOnly, dd.Date, workday.Zone)
			if err == nil {
				if old, ok := base.Lookup(t); ok && old.Kind != dd.Kind {
					return shuyu.Errorf(shuyu.EINVALID, "%s 已登记为%s，与新提交的类型冲突 (conflicts with a known day)",
						dd.Date, calendarKindLabel(old.Kind))
				}
			}
		}
		if _, err := workday.New(append(all, days...)...); err != nil {
			return err
		}
		for _, dd := range days {
			kind, _ := dd.Kind.MarshalText()
			if _, err := tx.exec(`DELETE FROM calendar_days WHERE date = ?`, dd.Date); err != nil {
				return err
			}
			if _, err := tx.exec(`INSERT INTO calendar_days (date, kind, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
				dd.Date, string(kind), dd.Name, actor.UserID, micros(tx.now)); err != nil {
				return err
			}
		}
		if err := tx.bumpCalendarVersion(); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditCalendarAdd, ObjectType: "calendar", ObjectID: days[0].Date[:4], Reason: reason,
			Detail: map[string]any{"days": days}})
	})
}

// RemoveCalendarDay removes a day the authority added (a correction).
func (d *DB) RemoveCalendarDay(ctx context.Context, actor *shuyu.Actor, date, reason string) error {
	if err := shuyu.Authorize(actor, shuyu.ActCalendarUpdate, shuyu.Resource{Kind: "calendar"}); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return shuyu.Errorf(shuyu.EINVALID, "须填写原因 (reason required)")
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM calendar_days WHERE date = ?`, date)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("该补充日期")
		}
		if err := tx.bumpCalendarVersion(); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditCalendarRemove, ObjectType: "calendar", ObjectID: date, Reason: reason})
	})
}

func (tx *Tx) bumpCalendarVersion() error {
	v, err := tx.calendarVersion()
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(v)
	if _, err := tx.exec(`DELETE FROM settings WHERE key = ?`, keyCalendarVersion); err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO settings (key, value) VALUES (?, ?)`, keyCalendarVersion, strconv.Itoa(n+1))
	return err
}

func calendarKindLabel(k workday.DayKind) string {
	if k == workday.Workday {
		return "调休上班日"
	}
	return "放假日"
}
