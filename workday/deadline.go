package workday

import (
	"fmt"
	"time"

	"shuyu"
)

// MissingYear is the Details of the error Add and Due return when the
// official schedule of a year they would cross is not loaded.
type MissingYear struct {
	Year int `json:"year"`
}

func missingYear(op string, year int) error {
	return fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.EUNPROCESSABLE,
		"缺少 %d 年的法定节假日安排，无法计算工作日期限，请主管部门导入该年安排 (calendar for year %d is missing)",
		year, year).WithDetails(MissingYear{Year: year}))
}

// Add returns midnight (in Zone) of the n-th working day after day's date
// in Zone; a negative n counts back before it, n = 0 returns day's date.
// Every day crossed must lie in a covered year: the deadline of a request
// must never silently assume a year without holidays.
func (c *Calendar) Add(day time.Time, n int) (time.Time, error) {
	const op = "workday.Add"
	a := ordinal(dateIn(day))
	if n == 0 {
		return atMidnight(a), nil
	}
	res, err := c.add(op, a, n)
	if err != nil {
		return time.Time{}, err
	}
	return atMidnight(res), nil
}

func (c *Calendar) add(op string, a int32, n int) (int32, error) {
	size := int32(len(c.work))
	if n > 0 {
		// The days that matter are a+1 .. result.
		first := a + 1 - c.base
		if first < 0 || first >= size {
			y, _, _ := fromOrdinal(a + 1)
			return 0, missingYear(op, y)
		}
		k := 0
		if first > 0 {
			k = int(c.cum[first-1])
		}
		idx := k + n - 1
		if idx >= len(c.wd) {
			return 0, missingYear(op, c.lastYear+1)
		}
		res := c.wd[idx]
		if err := c.checkCovered(op, first, res); err != nil {
			return 0, err
		}
		return c.base + res, nil
	}
	// n < 0: the days that matter are result .. a-1.
	last := a - 1 - c.base
	if last < 0 || last >= size {
		y, _, _ := fromOrdinal(a - 1)
		return 0, missingYear(op, y)
	}
	idx := int(c.cum[last]) + n // n is negative
	if idx < 0 {
		return 0, missingYear(op, c.firstY-1)
	}
	res := c.wd[idx]
	if err := c.checkCovered(op, res, last); err != nil {
		return 0, err
	}
	return c.base + res, nil
}

// checkCovered reports the first uncovered year among table offsets [from, to].
func (c *Calendar) checkCovered(op string, from, to int32) error {
	y0, _, _ := fromOrdinal(c.base + from)
	y1, _, _ := fromOrdinal(c.base + to)
	for y := y0; y <= y1; y++ {
		if !c.covered[y] {
			return missingYear(op, y)
		}
	}
	return nil
}

// Due is the deadline of a task accepted at accepted with n working days to
// act (R18.2, R20.2: 5; R21.1: 10). The day of acceptance does not count;
// the deadline is the END of the n-th working day after it in Zone, i.e.
// 23:59:59.999999999 +08:00 of that day, an inclusive bound: use Overdue to
// compare. n must be at least 1.
func (c *Calendar) Due(accepted time.Time, n int) (time.Time, error) {
	const op = "workday.Due"
	if n < 1 {
		return time.Time{}, fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.EINVALID,
			"工作日天数须为正整数，实际为 %d (working days must be at least 1)", n))
	}
	res, err := c.add(op, ordinal(dateIn(accepted)), n)
	if err != nil {
		return time.Time{}, err
	}
	y, m, d := fromOrdinal(res)
	return time.Date(y, m, d, 23, 59, 59, 999_999_999, Zone), nil
}

// Overdue reports whether now is past the inclusive deadline due returned
// by Due. R21.3: a review still open when this turns true is deemed approved.
func Overdue(due, now time.Time) bool { return now.After(due) }

// WorkdaysLeft is what a UI shows as "剩余 N 个工作日". While not overdue it
// counts the working days AFTER today (now's date in Zone) through due's
// date, the way Due counts them from the day of acceptance: on the day a
// 5-working-day clock starts it is 5, consistent with `shuyu calendar due`,
// and on the last day it is 0 ("今日到期"). Once overdue it is minus the
// working days elapsed after due's date through today (0 on the holiday
// right after a deadline, -1 on the first working day after). Outside
// loaded years it counts Monday..Friday; use Overdue, not the sign, to
// decide deemed approval.
func (c *Calendar) WorkdaysLeft(now, due time.Time) int {
	today := ordinal(dateIn(now))
	dueDay := ordinal(dateIn(due))
	if !Overdue(due, now) {
		if dueDay <= today {
			return 0
		}
		return int(c.count(dueDay) - c.count(today))
	}
	if today < dueDay {
		return 0
	}
	return -int(c.count(today) - c.count(dueDay))
}

// count is the signed number of working days in [base, o]; count(o) -
// count(o-1) is 1 exactly when o is a working day.
func (c *Calendar) count(o int32) int64 {
	n := int32(len(c.work))
	switch {
	case n == 0 || o < c.base:
		return prefixWeekdays(int64(o)+4) - prefixWeekdays(int64(c.base)+3)
	case o < c.base+n:
		return int64(c.cum[o-c.base])
	default:
		return int64(c.cum[n-1]) + prefixWeekdays(int64(o)+4) - prefixWeekdays(int64(c.base+n)+3)
	}
}

// prefixWeekdays counts Monday..Friday among the m days that start on
// Monday 1969-12-29 (ordinal -3), signed for negative m.
func prefixWeekdays(m int64) int64 {
	q := floorDiv(m, 7)
	r := m - 7*q
	return 5*q + min(r, 5)
}

func atMidnight(o int32) time.Time {
	y, m, d := fromOrdinal(o)
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}
